import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectBus } from '@flotilla/bus';
import { freePort, guardStart, startProcess, tempDir, waitForPort } from './process.js';
import { positionTopic, type BrokerUnderTest } from './server.js';
import { firstLine } from './version.js';

/** nats-server with its MQTT listener; {@link NatsMqttUnderTest.captureToStream} makes it store the positions too. */
export interface NatsMqttUnderTest extends BrokerUnderTest {
  /**
   * Adds a file-backed stream on `bench.agent.>` (the subjects MQTT position topics map to), so every
   * QoS 1 position is also written to JetStream, as the gateway does. (nats-server 2.9 still sends the
   * PUBACK without waiting for that write.)
   */
  captureToStream(): Promise<void>;
}

/** Name of the stream {@link NatsMqttUnderTest.captureToStream} creates. */
export const CAPTURE_STREAM = 'BENCH_POSITIONS';

/**
 * Starts its own nats-server (JetStream in a temporary directory, MQTT on a free port) with one
 * user/password for MQTT devices. NATS clients without credentials (the benchmark itself, to create
 * the capture stream) map to a second user through `no_auth_user`.
 */
export async function startNatsMqtt(binary = '/usr/sbin/nats-server'): Promise<NatsMqttUnderTest> {
  const dir = await tempDir('nats');
  const [natsPort, mqttPort, monitorPort] = [await freePort(), await freePort(), await freePort()];
  const password = randomBytes(12).toString('base64url');
  const config = `server_name: bench_${randomBytes(3).toString('hex')}
listen: "127.0.0.1:${natsPort}"
http: "127.0.0.1:${monitorPort}"
jetstream { store_dir: "${join(dir.path, 'jetstream')}" }
authorization {
  users = [
    { user: "bench", password: "${password}" }
    { user: "admin", password: "${randomBytes(12).toString('base64url')}" }
  ]
}
no_auth_user: "admin"
mqtt { listen: "127.0.0.1:${mqttPort}" }
`;
  const configFile = join(dir.path, 'nats.conf');
  await writeFile(configFile, config, { mode: 0o600 });
  const version = await firstLine(binary, ['--version']);
  const child = startProcess('nats-server', binary, ['-c', configFile], { logFile: join(dir.path, 'nats.log') });
  const cleanup = async () => {
    await child.stop();
    await dir.remove();
  };
  const stop = await guardStart(cleanup, async () => {
    await waitForPort(mqttPort, child);
  });
  let capturing = false;
  return {
    key: 'nats-mqtt',
    description: `${version} MQTT listener (JetStream enabled, file store)`,
    host: '127.0.0.1',
    port: mqttPort,
    pid: child.pid,
    notes: ['one MQTT user/password for every device (plain password in the config)', 'QoS 1 publishes with no QoS 1 subscriber are not written to JetStream by nats-server 2.9 unless a stream captures their subject (see the capture run)'],
    credentials: () => ({ username: 'bench', password }),
    positionTopic,
    async captureToStream() {
      if (capturing) return;
      const bus = await connectBus({ servers: `nats://127.0.0.1:${natsPort}`, name: 'bench-admin', connectTimeoutMs: 5_000 });
      try {
        await bus.connection.jsm.streams.add({ name: CAPTURE_STREAM, subjects: ['bench.agent.>'] });
        capturing = true;
      } finally {
        await bus.drain();
      }
    },
    async snapshot() {
      const out: Record<string, number | string> = {};
      const jsz = (await fetch(`http://127.0.0.1:${monitorPort}/jsz?streams=true`).then((r) => r.json())) as { account_details?: { stream_detail?: { name: string; state: { messages: number } }[] }[] };
      for (const account of jsz.account_details ?? []) for (const stream of account.stream_detail ?? []) out[`stream_messages:${stream.name}`] = stream.state.messages;
      const varz = (await fetch(`http://127.0.0.1:${monitorPort}/varz`).then((r) => r.json())) as { mem?: number; connections?: number };
      if (varz.mem !== undefined) out.varz_mem_bytes = varz.mem;
      return out;
    },
    stop,
  };
}
