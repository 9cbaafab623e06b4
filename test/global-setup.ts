import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isListening, startEmbeddedNats, startEmbeddedPostgres } from '@flotilla/cli';
import type { TestProject } from 'vitest/node';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Provides the NATS and PostgreSQL the tests use: NATS_URL / TEST_DATABASE_URL when set, else the
 * servers on 127.0.0.1:4222 and :5432, else (a fresh machine) embedded ones started here, with their
 * data under `.flotilla/test/`, exactly as `pnpm start` does.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  const dataDir = path.join(root, '.flotilla', 'test');
  let natsUrl = process.env.NATS_URL;
  if (!natsUrl) {
    natsUrl = 'nats://127.0.0.1:4222';
    if (!(await isListening('127.0.0.1', 4222))) {
      const nats = await startEmbeddedNats({ port: 4222, dataDir: path.join(dataDir, 'nats') });
      stops.push(nats.stop);
    }
  }
  let databaseUrl = process.env.TEST_DATABASE_URL;
  if (!databaseUrl) {
    databaseUrl = 'postgres://postgres@127.0.0.1:5432/flotilla_test';
    if (!(await isListening('127.0.0.1', 5432))) {
      await mkdir(dataDir, { recursive: true });
      await chmod(dataDir, 0o755);
      const pg = await startEmbeddedPostgres({ port: 5432, dataDir: path.join(dataDir, 'postgres') });
      databaseUrl = pg.url.replace(/\/flotilla$/, '/flotilla_test');
      stops.push(pg.stop);
    }
  }
  project.provide('natsUrl', natsUrl);
  project.provide('databaseUrl', databaseUrl);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
