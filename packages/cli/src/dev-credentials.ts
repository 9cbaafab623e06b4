import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Development credentials for a fresh install: one password shared by the Flyve devices of one tenant,
 * for trying the platform without enrolling. They live in `<dataDir>/dev-credentials.json` (mode 0600).
 * Operators use the API key printed at the first start (or keys issued from it).
 */
export interface DevCredentials {
  tenant: string;
  devicePassword: string;
}

/** Reads the development credentials, creating them on first use. */
export async function loadDevCredentials(dataDir: string): Promise<{ credentials: DevCredentials; created: boolean }> {
  const file = path.join(dataDir, 'dev-credentials.json');
  try {
    return { credentials: JSON.parse(await readFile(file, 'utf8')) as DevCredentials, created: false };
  } catch {
    const credentials: DevCredentials = { tenant: 'demo', devicePassword: randomBytes(18).toString('base64url') };
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    await chmod(file, 0o600);
    return { credentials, created: true };
  }
}
