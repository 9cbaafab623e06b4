import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { dropSchema } from '@flotilla/db';
import { sleep } from '../load/stats.js';
import { freePort, guardStart, startProcess, tempDir, type ServerProcess } from './process.js';
import { scrape } from './prometheus.js';

/** The geolocation service under test (its own process), projecting into a fresh schema. */
export interface GeolocationUnderTest {
  readonly pid: number;
  readonly schema: string;
  readonly httpPort: number;
  readonly process: ServerProcess;
  /** Sums of the service's Prometheus metrics. */
  metrics(): Promise<Map<string, number>>;
  /** Stops the service, then drops its schema. */
  stop(): Promise<void>;
}

/** Options of {@link startGeolocationService}. */
export interface GeolocationStartOptions {
  repoRoot: string;
  natsUrl: string;
  databaseUrl: string;
  /** FLOTILLA_NAMESPACE of the gateway whose events it projects. */
  namespace: string;
}

/**
 * Starts `services/geolocation/src/main.ts` as its own process in the gateway's namespace, with
 * `GEO_DB_SCHEMA` a fresh schema (created and migrated by the service, dropped at stop, also on Ctrl-C).
 * Ready once `/readyz` answers 200, i.e. the schema is migrated and the projection consumes.
 */
export async function startGeolocationService(options: GeolocationStartOptions): Promise<GeolocationUnderTest> {
  const schema = `bench_geo_${randomBytes(4).toString('hex')}`;
  const httpPort = await freePort();
  const dir = await tempDir('geolocation');
  const child = startProcess('geolocation', process.execPath, ['--import', 'tsx', 'services/geolocation/src/main.ts'], {
    cwd: options.repoRoot,
    logFile: join(dir.path, 'geolocation.log'),
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NATS_URL: options.natsUrl,
      DATABASE_URL: options.databaseUrl,
      FLOTILLA_NAMESPACE: options.namespace,
      GEO_DB_SCHEMA: schema,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'warn',
    },
  });
  const cleanup = async () => {
    await child.stop(15_000);
    await dropSchema(options.databaseUrl, schema).catch((error: unknown) => console.error(`could not drop schema ${schema}: ${(error as Error).message}`));
    await dir.remove();
  };
  const stop = await guardStart(cleanup, async () => {
    const until = Date.now() + 60_000;
    while ((await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.status, () => 0)) !== 200) {
      if (!child.isRunning()) throw new Error(`geolocation exited during start:\n${await child.tail()}`);
      if (Date.now() > until) throw new Error(`geolocation not ready:\n${await child.tail()}`);
      await sleep(100);
    }
  });
  return {
    pid: child.pid,
    schema,
    httpPort,
    process: child,
    metrics: () => scrape(`http://127.0.0.1:${httpPort}/metrics`),
    stop,
  };
}
