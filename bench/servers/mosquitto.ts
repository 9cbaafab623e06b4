import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, guardStart, startProcess, tempDir, waitForPort } from './process.js';
import { positionTopic, type BrokerUnderTest } from './server.js';
import { firstLine } from './version.js';

/**
 * Starts its own Mosquitto on a free port: no anonymous access, one user in a password file made with
 * `mosquitto_passwd`, no persistence. It runs as the current user (`user` set to it), so it can read
 * the private temporary files.
 */
export async function startMosquitto(binary = '/usr/sbin/mosquitto', passwdTool = 'mosquitto_passwd'): Promise<BrokerUnderTest> {
  const dir = await tempDir('mosquitto');
  const port = await freePort();
  const password = randomBytes(12).toString('base64url');
  const passwordFile = join(dir.path, 'passwd');
  await promisify(execFile)(passwdTool, ['-c', '-b', passwordFile, 'bench', password]);
  const configFile = join(dir.path, 'mosquitto.conf');
  await writeFile(
    configFile,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${passwordFile}`, 'persistence false', 'max_connections -1', `user ${userInfo().username}`, 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'),
    { mode: 0o600 },
  );
  const version = await firstLine(binary, ['-h']);
  const child = startProcess('mosquitto', binary, ['-c', configFile], { logFile: join(dir.path, 'mosquitto.log') });
  const cleanup = async () => {
    await child.stop();
    await dir.remove();
  };
  const stop = await guardStart(cleanup, async () => {
    await waitForPort(port, child);
  });
  return {
    key: 'mosquitto',
    description: `${version} (single thread, persistence false)`,
    host: '127.0.0.1',
    port,
    pid: child.pid,
    notes: ['one user in a mosquitto_passwd file (PBKDF2-SHA512)', 'persistence false: QoS 1 PUBACK once the message is routed in memory, nothing is stored'],
    credentials: () => ({ username: 'bench', password }),
    positionTopic,
    snapshot: async () => ({}),
    stop,
  };
}
