import path from 'node:path';
import type { Logger } from 'pino';
import { startEmbeddedNats } from './embedded/nats.js';
import { isListening } from './embedded/port.js';
import { startEmbeddedPostgres } from './embedded/postgres.js';
import type { PlatformConfig } from './platform-config.js';

/** The NATS and PostgreSQL the platform uses, and how to stop the ones it started itself. */
export interface Infrastructure {
  natsUrl: string;
  databaseUrl: string;
  started: string[];
  stop(): Promise<void>;
}

/**
 * Uses `NATS_URL` / `DATABASE_URL` when set. When unset, uses a server answering on the default local
 * port, and otherwise (with `FLOTILLA_EMBEDDED=auto`) starts one with its data under the data folder.
 */
export async function resolveInfrastructure(config: PlatformConfig, logger: Logger): Promise<Infrastructure> {
  const stops: (() => Promise<void>)[] = [];
  const started: string[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch((error: unknown) => logger.error({ err: error }, 'stopping embedded server failed'));
  };
  try {
    let natsUrl = config.NATS_URL;
    if (!natsUrl) {
      natsUrl = 'nats://127.0.0.1:4222';
      if (!(await isListening('127.0.0.1', 4222))) {
        if (config.FLOTILLA_EMBEDDED === 'never') throw new Error('nothing answers at nats://127.0.0.1:4222 and FLOTILLA_EMBEDDED=never: start nats-server -js or set NATS_URL');
        const nats = await startEmbeddedNats({ port: 4222, dataDir: path.resolve(config.FLOTILLA_DATA_DIR, 'nats') });
        stops.push(nats.stop);
        started.push(`nats-server (JetStream) at ${nats.url}, data in ${path.resolve(config.FLOTILLA_DATA_DIR, 'nats')}`);
      }
    }
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      databaseUrl = 'postgres://postgres@127.0.0.1:5432/flotilla';
      if (!(await isListening('127.0.0.1', 5432))) {
        if (config.FLOTILLA_EMBEDDED === 'never') throw new Error('nothing answers at 127.0.0.1:5432 and FLOTILLA_EMBEDDED=never: start PostgreSQL or set DATABASE_URL');
        const dataDir = path.resolve(config.FLOTILLA_DATA_DIR, 'postgres');
        const pg = await startEmbeddedPostgres({ port: 5432, dataDir });
        stops.push(pg.stop);
        databaseUrl = pg.url;
        started.push(`PostgreSQL (${pg.source} binaries) at 127.0.0.1:5432, data in ${dataDir}`);
      }
    }
    return { natsUrl, databaseUrl, started, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
