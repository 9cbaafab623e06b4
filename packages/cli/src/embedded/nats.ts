import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import { constants, createWriteStream } from 'node:fs';
import path from 'node:path';
import { waitForPort } from './port.js';

/** A nats-server child process started by the platform. */
export interface EmbeddedNats {
  url: string;
  /** Graceful stop (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Sends `signal` and, for SIGKILL, waits for the process to be gone (fault tests). */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Finds `nats-server` on the PATH (and in the sbin folders Debian installs it to). */
export async function findNatsServer(searchPath = process.env.PATH ?? ''): Promise<string | undefined> {
  const dirs = [...searchPath.split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin'].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, 'nats-server');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Starts `nats-server -js` on `127.0.0.1:port` with its store under `dataDir`; logs go to `dataDir/nats.log`. */
export async function startEmbeddedNats(options: { port: number; dataDir: string; binary?: string }): Promise<EmbeddedNats> {
  const binary = options.binary ?? (await findNatsServer());
  if (!binary) {
    throw new Error('NATS is not running and nats-server is not on the PATH: install it (Debian/Ubuntu: apt-get install nats-server) or set NATS_URL');
  }
  await mkdir(options.dataDir, { recursive: true });
  const log = createWriteStream(path.join(options.dataDir, 'nats.log'), { flags: 'a' });
  const child: ChildProcess = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(options.port), '-sd', options.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitForPort('127.0.0.1', options.port, 10_000, 'nats-server'),
      exited.then(() => {
        throw new Error(`nats-server exited at start; see ${path.join(options.dataDir, 'nats.log')}`);
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${options.port}`,
    async kill(signal) {
      if (child.exitCode !== null) return;
      child.kill(signal);
      if (signal === 'SIGKILL') await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      log.end();
    },
  };
}
