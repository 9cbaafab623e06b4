import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import WebSocket from 'ws';
import { seeded } from '@flotilla/simulator';
import { waitFor } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from './raw-client.fixture.js';

// A malformed-packet fuzzer (hardening §1): valid packets of every kind and protocol version, mutated
// at random (bit flips, truncation, inserted and deleted bytes, forged Remaining Lengths, random
// tails), sent before and after a valid CONNECT, over TCP and inside WebSocket frames. Whatever arrives,
// the gateway answers or closes that connection, never crashes, never stops serving others, and lets
// none of them publish as the device.

let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway({ MQTT_AUTH_MAX_FAILURES: 1_000_000, MQTT_CONNECT_TIMEOUT_MS: 500, MQTT_WS_PORT: 0, MQTT_DEVICE_MESSAGE_RATE: '' });
});
afterAll(() => g.stop());


const connect = (version: 3 | 4 | 5, clientId: string): Packet =>
  ({
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clientId,
    clean: true,
    keepalive: 30,
    username: 'fuzz-device',
    password: Buffer.from(PASSWORD),
    will: { topic: 'acme/agent/fuzz-device/Status/Online', payload: Buffer.from('{"online":false}'), qos: 1, retain: false, ...(version === 5 ? { properties: { willDelayInterval: 0 } } : {}) },
    ...(version === 5 ? { properties: { sessionExpiryInterval: 0, receiveMaximum: 10, userProperties: { a: 'b' } } } : {}),
  }) as Packet;

/** One valid packet of every kind a client may (or may not) send. */
function seeds(version: 3 | 4 | 5): Packet[] {
  const v5 = version === 5;
  const geo = JSON.stringify({ latitude: 1, longitude: 2, datetime: 1_700_000_000 });
  return [
    connect(version, 'fuzz'),
    { cmd: 'publish', topic: 'acme/agent/fuzz-device/Status/Geolocation', payload: Buffer.from(geo), qos: 1, messageId: 7, dup: false, retain: false, ...(v5 ? { properties: { topicAlias: 1, contentType: 'application/json' } } : {}) },
    { cmd: 'publish', topic: 'acme/agent/fuzz-device/Status/Geolocation', payload: Buffer.from(geo), qos: 2, messageId: 8, dup: false, retain: true },
    { cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'acme/agent/fuzz-device/Command/#', qos: 2, ...(v5 ? { nl: true, rap: true, rh: 1 } : {}) }] },
    { cmd: 'unsubscribe', messageId: 10, unsubscriptions: ['acme/agent/fuzz-device/Command/#'] },
    { cmd: 'pubrel', messageId: 8 },
    { cmd: 'puback', messageId: 3 },
    { cmd: 'pubrec', messageId: 4 },
    { cmd: 'pubcomp', messageId: 5 },
    { cmd: 'pingreq' },
    { cmd: 'disconnect', ...(v5 ? { reasonCode: 0x04, properties: { sessionExpiryInterval: 10 } } : {}) },
    ...(v5 ? [{ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } } as Packet] : []),
  ] as Packet[];
}

/** A mutated copy of `bytes`. */
function mutate(bytes: Buffer, random: () => number): Buffer {
  const out = Buffer.from(bytes);
  const pick = (n: number) => Math.floor(random() * n);
  switch (pick(7)) {
    case 0: {
      for (let i = 0, n = 1 + pick(4); i < n; i++) {
        const at = pick(out.length);
        out[at] = out[at]! ^ (1 << pick(8));
      }
      return out;
    }
    case 1:
      return out.subarray(0, pick(out.length));
    case 2: {
      const at = pick(out.length + 1);
      return Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(8) }, () => pick(256))), out.subarray(at)]);
    }
    case 3: {
      const at = pick(out.length);
      return Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + pick(4))]);
    }
    case 4: {
      // Forged Remaining Length: up to four continuation bytes, or five (never valid).
      const n = 1 + pick(5);
      const forged = Array.from({ length: n }, (_, i) => (i < n - 1 ? 0x80 | pick(128) : pick(128)));
      return Buffer.concat([out.subarray(0, 1), Buffer.from(forged), out.subarray(2)]);
    }
    case 5:
      out[0] = (out[0]! & 0xf0) | pick(16); // reserved flag bits, QoS 3, stray DUP
      return out;
    default:
      return Buffer.concat([out, Buffer.from(Array.from({ length: pick(64) }, () => pick(256)))]);
  }
}

/** Resolves when `emitter` closes, or after `ms` of waiting (the gateway answered and kept it open). */
function closedOrQuiet(emitter: { once(event: 'close', listener: () => void): unknown }, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    emitter.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Sends `bytes` (after a valid CONNECT when `afterConnect`) and waits until the gateway closes or goes quiet. */
async function throwAt(bytes: Buffer, version: 3 | 4 | 5, afterConnect: boolean, index: number): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port: g.port });
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  if (afterConnect) socket.write(mqttPacket.generate(connect(version, `fuzz-${index}`), { protocolVersion: version }));
  socket.write(bytes);
  await closedOrQuiet(socket, 700);
  socket.destroy();
}

async function stillServing(): Promise<void> {
  const client = await rawClient(g.port, 5);
  client.send(connect(5, 'fuzz-check') as Packet);
  expect(await client.next('connack')).toMatchObject({ reasonCode: 0 });
  client.send({ cmd: 'pingreq' });
  await client.next('pingresp');
  client.destroy();
}

describe('malformed-packet fuzzing', () => {
  it.each([3, 4, 5] as const)('survives 400 mutated packets of MQTT protocol level %i over TCP', async (version) => {
    const random = seeded(0xf1071a + version);
    const packets = seeds(version).map((packet) => mqttPacket.generate(packet, { protocolVersion: version }));
    const before = await g.count('geo');
    const rounds = Array.from({ length: 400 }, (_, i) => ({ bytes: mutate(packets[i % packets.length]!, random), afterConnect: random() < 0.6, index: i }));
    // Forty at a time: enough concurrency to interleave, few enough to stay under the per-address caps.
    for (let i = 0; i < rounds.length; i += 40) await Promise.all(rounds.slice(i, i + 40).map(({ bytes, afterConnect, index }) => throwAt(bytes, version, afterConnect, index)));
    await stillServing();
    // Every input was judged by the protocol rules: no handler failed on it, no connection was left open.
    expect(await g.metrics.getSingleMetricAsString('flotilla_gateway_rejections_total')).not.toMatch(/internal-error/);
    await waitFor('every fuzzed connection closed', () => g.service.hub.connections.size === 0, 5_000);
    // A mutated PUBLISH that is still valid is stored, but only from the device's own topic and payload.
    for (const letter of await g.deadLetters()) expect(letter.reason).toMatch(/^acme\/fuzz-device: /);
    expect(await g.count('geo')).toBeGreaterThanOrEqual(before);
  });

  it('survives random WebSocket frames: binary garbage, text, fragments, and bytes that are not WebSocket at all', async () => {
    const random = seeded(0x5eed);
    const port = g.service.ports.ws!;
    const valid = mqttPacket.generate(connect(4, 'ws-fuzz'), { protocolVersion: 4 });
    for (let i = 0; i < 60; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, 'mqtt');
      ws.on('error', () => undefined);
      const opened = await new Promise<boolean>((resolve) => {
        ws.once('open', () => resolve(true));
        ws.once('close', () => resolve(false));
      });
      if (opened) {
        const kind = i % 4;
        if (kind === 0) ws.send(mutate(valid, random));
        else if (kind === 1) ws.send('CONNECT as text');
        else if (kind === 2) {
          ws.send(valid.subarray(0, 5), { fin: false });
          ws.send(mutate(valid.subarray(5), random), { fin: true });
        } else ws.send(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256))));
        await closedOrQuiet(ws, 600);
      }
      ws.terminate();
    }
    // Raw bytes on the WebSocket port: a broken upgrade request and a forged frame header.
    for (const bytes of [Buffer.from('GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Key: x\r\n\r\n'), Buffer.from([0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]) {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(bytes);
      await closedOrQuiet(socket, 600);
      socket.destroy();
    }
    await stillServing();
    expect(await g.metrics.getSingleMetricAsString('flotilla_gateway_rejections_total')).not.toMatch(/internal-error/);
  });
});
