import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedNats, startEmbeddedPostgres, type EmbeddedNats, type EmbeddedPostgresServer } from '@flotilla/cli';
import pg from 'pg';
import { connectBus } from '@flotilla/bus';
import { DeviceCommandIssued } from '@flotilla/contracts';
import { connectMqtt, endAll, freePort, waitFor } from '@flotilla/testing';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';

// hardening.md §2.3, device → stream → read model, and stream → device: devices publish uniquely
// numbered QoS 1 and QoS 2 messages while the gateway and NATS are killed, frozen and restarted,
// PostgreSQL is restarted under the geolocation projection and the devices' own sockets are cut in the
// middle of their flows; meanwhile commands are issued to the devices. Afterwards every acknowledged
// message must be in the stream (lost: empty), nothing else may be (unexpected: empty), nothing twice,
// and the read model must hold each stored message exactly once; every accepted command must have
// reached its device, and every QoS 2 command exactly once.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PASSWORD = 'fault-test-password';
const DEVICES = 4;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startGateway(natsUrl: string, mqttPort: number, httpPort: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'services/mqtt-gateway/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NATS_URL: natsUrl,
      NATS_CONNECT_TIMEOUT_MS: '30000',
      GATEWAY_DEV_CREDENTIALS: `fault:${PASSWORD}`,
      MQTT_DEVICE_MESSAGE_RATE: '',
      // The faults make every device reconnect in storms on purpose.
      MQTT_RECONNECT_RATE: '',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
}

function startGeolocation(natsUrl: string, databaseUrl: string, httpPort: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'services/geolocation/src/main.ts'], {
    cwd: root,
    env: { ...process.env, NATS_URL: natsUrl, NATS_CONNECT_TIMEOUT_MS: '30000', DATABASE_URL: databaseUrl, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(httpPort), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('device → stream → read model under faults', () => {
  it('loses no acknowledged message and stores none twice, in the stream or the read model, through gateway and NATS kills, freezes and a PostgreSQL restart', async () => {
    const storeDir = await mkdtemp(path.join(tmpdir(), 'flotilla-fault-'));
    await chmod(storeDir, 0o755); // PostgreSQL runs as the postgres user when the tests run as root
    const natsPort = await freePort();
    let nats: EmbeddedNats = await startEmbeddedNats({ port: natsPort, dataDir: path.join(storeDir, 'nats') });
    const pgPort = await freePort();
    let postgres: EmbeddedPostgresServer = await startEmbeddedPostgres({ port: pgPort, dataDir: path.join(storeDir, 'postgres') });
    cleanups.push(() => rm(storeDir, { recursive: true, force: true }), () => nats.stop(), () => postgres.stop());
    const geolocation = startGeolocation(nats.url, postgres.url, await freePort());
    cleanups.push(() => kill(geolocation));
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    let gateway = startGateway(nats.url, mqttPort, httpPort);
    cleanups.push(() => kill(gateway));

    const acked = new Set<string>();
    const sent = new Set<string>();
    let running = true;
    const clients: MqttClient[] = [];
    // What each device received on its Command/ topics: subscribe commands carry a unique topic.
    const received = new Map<string, string[]>();
    const publishers = Array.from({ length: DEVICES }, async (_, device) => {
      const serial = `fault-${device}`;
      received.set(serial, []);
      // A persistent session, so MQTT.js sends unacknowledged messages again after every reconnect,
      // and the subscription (and the commands queued for it) outlives every connection.
      const client = await waitFor('gateway up', () => connectMqtt(mqttPort, { username: serial, password: PASSWORD, clientId: serial, clean: false, reconnectPeriod: 200, connectTimeout: 2_000 }).catch(() => undefined), 30_000, 200);
      // Resets and refused connections are what this test causes; the client reconnects by itself.
      client.on('error', () => undefined);
      client.on('message', (topic, payload) => received.get(serial)!.push(`${topic.split('/').at(-1)} ${payload.toString()}`));
      await client.subscribeAsync(`fault/agent/${serial}/Command/#`, { qos: 2 });
      clients.push(client);
      // Odd devices publish at QoS 2 (exactly once), even ones at QoS 1.
      const qos = device % 2 === 1 ? 2 : 1;
      for (let n = 1; running; n++) {
        const id = `${serial}#${n}`;
        sent.add(id);
        const payload = JSON.stringify({ latitude: device, longitude: 0, datetime: n });
        await client
          .publishAsync(`fault/agent/${serial}/Status/Geolocation`, payload, { qos })
          .then(() => acked.add(id))
          .catch(() => undefined);
        await pause(5);
      }
    });

    // Commands to the devices all along: a unique subscribe (QoS 1) now and then a wipe (QoS 2). A
    // command counts as accepted once JetStream acknowledged it; while NATS is down the issuer retries.
    const issuer = await connectBus({ servers: nats.url, name: 'fault-issuer', connectTimeoutMs: 30_000 });
    cleanups.push(() => issuer.drain());
    const acceptedSubscribes = new Map<string, string[]>();
    const acceptedWipes = new Map<string, number>();
    const commander = (async () => {
      for (let k = 1; running; k++) {
        const serial = `fault-${k % DEVICES}`;
        const wipe = k % 5 === 0; // every fifth, which reaches each of the 4 devices in turn
        const command = wipe ? { type: 'wipe' as const } : { type: 'subscribe' as const, topics: [`fault/fleet/c${k}`] };
        const accepted = await issuer.publish(DeviceCommandIssued, { tenant: 'fault', subjectId: serial, id: `cmd-${k}`, data: { commandId: `cmd-${k}`, deviceId: serial, command, expiresAt: null, taskId: null } }).then(
          () => true,
          () => false,
        );
        if (accepted && wipe) acceptedWipes.set(serial, (acceptedWipes.get(serial) ?? 0) + 1);
        else if (accepted) acceptedSubscribes.set(serial, [...(acceptedSubscribes.get(serial) ?? []), `Subscribe {"subscribe":[{"topic":"fault/fleet/c${k}"}]}`]);
        await pause(accepted ? 40 : 300);
      }
    })();

    const ackedSoFar = async (atLeast: number) => waitFor(`${atLeast} acks`, () => acked.size >= atLeast, 30_000, 50);
    await ackedSoFar(50);
    // 1. The gateway is killed and started again.
    await kill(gateway);
    await pause(300);
    gateway = startGateway(nats.url, mqttPort, httpPort);
    await ackedSoFar(acked.size + 50);
    // 2. The gateway is frozen, then resumed.
    gateway.kill('SIGSTOP');
    await pause(1_500);
    gateway.kill('SIGCONT');
    await ackedSoFar(acked.size + 50);
    // 3. NATS is killed and started again on its store.
    await nats.kill('SIGKILL');
    await pause(500);
    nats = await startEmbeddedNats({ port: natsPort, dataDir: path.join(storeDir, 'nats') });
    await ackedSoFar(acked.size + 50);
    // 4. PostgreSQL restarts under the projection.
    await postgres.stop();
    await pause(1_000);
    postgres = await startEmbeddedPostgres({ port: pgPort, dataDir: path.join(storeDir, 'postgres') });
    await ackedSoFar(acked.size + 50);
    // 5. The devices' own connections are cut, three times, in the middle of their QoS 1/2 flows.
    for (let cut = 0; cut < 3; cut++) {
      for (const client of clients) (client as unknown as { stream: { destroy(): void } }).stream.destroy();
      await ackedSoFar(acked.size + 20);
    }
    running = false;
    await Promise.all([...publishers, commander]);
    await pause(500);

    // Every accepted command reached its device; each wipe (QoS 2) exactly once.
    const commandsOf = (serial: string) => received.get(serial)!;
    await waitFor('every accepted command delivered', () => [...acceptedSubscribes].every(([serial, expected]) => expected.every((line) => commandsOf(serial).includes(line))), 60_000, 100).catch(() => undefined);
    const commandsLost = [...acceptedSubscribes].flatMap(([serial, expected]) => expected.filter((line) => !commandsOf(serial).includes(line)).map((line) => `${serial}: ${line}`));
    const wipesReceived = Object.fromEntries([...received].map(([serial, lines]) => [serial, lines.filter((line) => line.startsWith('Wipe ')).length]));
    const wipesAccepted = Object.fromEntries([...received.keys()].map((serial) => [serial, acceptedWipes.get(serial) ?? 0]));
    const subscribesAccepted = [...acceptedSubscribes.values()].reduce((sum, lines) => sum + lines.length, 0);
    expect({ subscribesAccepted: subscribesAccepted > 20, commandsLost, wipesReceived }).toEqual({ subscribesAccepted: true, commandsLost: [], wipesReceived: wipesAccepted });
    const ackedIds = [...acked];

    // Read the stream back.
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    const stored: string[] = [];
    const { state } = await jsm.streams.info('GEO');
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const message = await jsm.streams.getMessage('GEO', { seq }).catch(() => null);
      if (!message) continue;
      const { data } = message.json<{ data: { deviceId: string; reportedAt: string } }>();
      stored.push(`${data.deviceId}#${new Date(data.reportedAt).getTime() / 1000}`);
    }
    await nc.close();
    await endAll(...clients);

    const storedSet = new Set(stored);
    const lost = ackedIds.filter((id) => !storedSet.has(id));
    const unexpected = stored.filter((id) => !sent.has(id));
    const duplicates = stored.length - storedSet.size;
    expect({ acked: ackedIds.length > 250, lost, unexpected, duplicates }).toEqual({ acked: true, lost: [], unexpected: [], duplicates: 0 });

    // The read model: one history row per stored message, once the projection has caught up.
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    try {
      const rows = await waitFor('the projection to catch up', async () => {
        const { rows } = await db.query<{ id: string }>(`SELECT device_id || '#' || extract(epoch FROM reported_at)::bigint AS id FROM geo.position_history`).catch(() => ({ rows: [] }));
        return rows.length >= stored.length ? rows.map((row) => row.id) : undefined;
      }, 60_000, 200);
      expect({ rows: rows.length, distinct: new Set(rows).size, missing: stored.filter((id) => !rows.includes(id)) }).toEqual({ rows: stored.length, distinct: stored.length, missing: [] });
    } finally {
      await db.end();
    }
  }, 240_000);
});
