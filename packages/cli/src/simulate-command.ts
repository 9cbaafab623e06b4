import { readFile, writeFile } from 'node:fs/promises';
import { agentReports, enrollAgents, simulate, type AgentFormat, type AgentIdentity } from '@flotilla/simulator';
import { z } from 'zod';

/** Options of `flotilla simulate`, as commander parses them. */
export interface SimulateCommandOptions {
  host: string;
  port: string;
  tenant: string;
  count: string;
  serialPrefix: string;
  password?: string;
  credentials?: string;
  format: string;
  positionIntervalMs: string;
  durationS: string;
  connectConcurrency: string;
  seed: string;
  report?: string;
  enrollApi?: string;
  apiKey?: string;
  email: string;
}

const Credentials = z.array(z.object({ serial: z.string().min(1), password: z.string().min(1), tenant: z.string().min(1).optional() }));
const whole = (name: string, value: string, min: number) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${name} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`);
  return parsed;
};

/** The agents to run: from a credentials file (`[{serial, password, tenant?}]`), or `count` serials sharing one password. */
async function agentsOf(options: SimulateCommandOptions): Promise<AgentIdentity[]> {
  if (options.credentials) {
    const entries = Credentials.parse(JSON.parse(await readFile(options.credentials, 'utf8')));
    return entries.map((entry) => ({ tenant: entry.tenant ?? options.tenant, serial: entry.serial, password: entry.password }));
  }
  const count = whole('count', options.count, 1);
  if (options.enrollApi) {
    if (!options.apiKey) throw new Error('--enroll-api needs --api-key (an operator key that may invite)');
    const serials = Array.from({ length: count }, (_, i) => `${options.serialPrefix}${i + 1}`);
    const { enrolled, failed } = await enrollAgents({ apiUrl: options.enrollApi.replace(/\/$/, ''), apiKey: options.apiKey, serials, email: options.email, concurrency: whole('connect-concurrency', options.connectConcurrency, 1) });
    if (failed.length > 0) throw new Error(`${failed.length} of ${count} agents could not enroll, e.g. ${failed[0]!.serial}: ${failed[0]!.reason}`);
    return enrolled;
  }
  if (!options.password) throw new Error('give --enroll-api with --api-key, --credentials <file> or --password (a password every simulated serial shares, e.g. the development one)');
  return Array.from({ length: count }, (_, i) => ({ tenant: options.tenant, serial: `${options.serialPrefix}${i + 1}`, password: options.password! }));
}

/**
 * Runs Flyve agents against a gateway until `--duration-s` has passed (or Ctrl-C), then prints what they
 * received and sent, and writes every agent's report to `--report` when given.
 */
export async function runSimulation(options: SimulateCommandOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const format = z.enum(['spec', 'legacy']).parse(options.format) as AgentFormat;
  const agents = await agentsOf(options);
  const started = Date.now();
  const run = await simulate({
    host: options.host,
    port: whole('port', options.port, 1),
    agents,
    format,
    positionIntervalMs: whole('position-interval-ms', options.positionIntervalMs, 0),
    connectConcurrency: whole('connect-concurrency', options.connectConcurrency, 1),
    seed: whole('seed', options.seed, 0),
  });
  out.write(`${run.agents.length} of ${agents.length} ${format} agents connected in ${Date.now() - started} ms${run.failed.length ? `; ${run.failed.length} failed, e.g. ${run.failed[0]!.serial}: ${run.failed[0]!.reason}` : ''}\n`);
  const durationMs = whole('duration-s', options.durationS, 0) * 1000;
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (durationMs > 0) setTimeout(done, durationMs);
  });
  const summary = run.summary();
  await run.stop();
  out.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (options.report) await writeFile(options.report, JSON.stringify({ summary, failed: run.failed, agents: agentReports(run) }, null, 2));
}
