import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '../load/stats.js';

/** A server process started by the benchmark. */
export interface ServerProcess {
  readonly pid: number;
  readonly name: string;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<string>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its output, for error messages. */
  tail(lines?: number): Promise<string>;
}

const started = new Set<ChildProcess>();
const cleanups = new Set<() => Promise<void>>();
let hooked = false;

/**
 * Registers work to do if the benchmark is interrupted (SIGINT/SIGTERM) before it ran it itself, such
 * as deleting the gateway's streams; the function returned unregisters it.
 */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  hookExit();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Kills (SIGKILL) every process still running that this module started; safe to call at exit. */
/**
 * Registers `cleanup` for Ctrl-C, waits for `ready`, and returns a `stop` that runs the cleanup once; when
 * `ready` fails, cleans up and rethrows. Every server launcher starts its process this way.
 */
export async function guardStart(cleanup: () => Promise<void>, ready: () => Promise<void>): Promise<() => Promise<void>> {
  const unregister = onInterrupt(cleanup);
  const stop = async () => {
    unregister();
    await cleanup();
  };
  try {
    await ready();
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}

export function killAllStarted(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllStarted);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: stopping the servers`);
      const pending = Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
      void Promise.race([pending, sleep(20_000)]).finally(() => {
        killAllStarted();
        process.exit(130);
      });
    });
  }
}

/**
 * Starts `command` with its output in `logFile`, the soft limit of open files raised to the hard one
 * (through `sh -c 'ulimit -n …; exec …'`, so the pid is the server's own).
 */
export function startProcess(name: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; logFile: string }): ServerProcess {
  hookExit();
  const log = createWriteStream(options.logFile);
  const child = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', command, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  started.add(child);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      started.delete(child);
      resolve(signal ?? String(code));
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid,
    name,
    logFile: options.logFile,
    exited,
    isRunning: running,
    async stop(graceMs = 10_000) {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => running() && child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      log.end();
    },
    async tail(lines = 20) {
      const text = await readFile(options.logFile, 'utf8').catch(() => '');
      return text.split('\n').slice(-lines - 1).join('\n');
    },
  };
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts TCP connections on `port`; fails if `server` exits or `timeoutMs` passes. */
export async function waitForPort(port: number, server: ServerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!server.isRunning()) throw new Error(`${server.name} exited during start:\n${await server.tail()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${server.name} did not listen on ${port} within ${timeoutMs} ms:\n${await server.tail()}`);
    await sleep(100);
  }
}

/** `pid` and every process below it (a multi-process gateway's workers), from /proc. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** Resident set size of a process and its children, in KiB (`VmRSS` in /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  let total = 0;
  for (const member of processTree(pid)) {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${member}/status`, 'utf8'));
    if (!match) throw new Error(`no VmRSS for pid ${member}`);
    total += Number(match[1]);
  }
  return total;
}

/**
 * CPU time (user + system) a process and its children have used so far, in seconds (/proc/<pid>/stat,
 * 100 ticks a second; children that exited are counted through cutime/cstime).
 */
export function cpuSeconds(pid: number): number {
  let total = 0;
  for (const member of processTree(pid)) {
    const stat = readFileSync(`/proc/${member}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return total;
}

/** CPU time all processes of the machine have used so far, in seconds (/proc/stat). */
export function machineCpuSeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
  return fields.slice(0, 8).reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0) / 100;
}

/** Measures the CPU a process (or the whole machine) uses from now on, as a percentage of one core. */
export function cpuMeter(pid: number | 'machine'): () => number {
  const read = () => (pid === 'machine' ? machineCpuSeconds() : cpuSeconds(pid));
  const startCpu = read();
  const startAt = process.hrtime.bigint();
  return () => {
    const wall = Number(process.hrtime.bigint() - startAt) / 1e9;
    return wall > 0 ? Math.round(((read() - startCpu) / wall) * 100) : 0;
  };
}

/** Pid of the process listening on TCP `port` of this machine (from `ss`), if it can be seen. */
export async function listenerPid(port: number): Promise<number | undefined> {
  const { stdout } = await promisify(execFile)('ss', ['-Hltnp', `sport = :${port}`]).catch(() => ({ stdout: '' }));
  const match = /pid=(\d+)/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

/** The soft limit of open files of this process (from /proc/self/limits). */
export function openFilesLimit(): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !match || match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

/** A temporary directory, removed by the returned function. */
export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `flotilla-bench-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
