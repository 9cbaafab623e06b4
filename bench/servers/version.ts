import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** The first line `command …args` prints (stdout or stderr), e.g. a version banner. */
export async function firstLine(command: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(command, args).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
  return `${stdout}${stderr}`.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'unknown version';
}
