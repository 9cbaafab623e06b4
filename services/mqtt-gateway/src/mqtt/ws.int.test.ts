import { connectMqtt, endAll, waitFor } from '@flotilla/testing';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PASSWORD, position, startTestGateway, TEST_MAX_PACKET_SIZE } from '../gateway.fixture.js';
import type { ConnectionHub } from './connection-hub.js';
import type { MqttListener } from './listener.js';
import { createTestCertificates, type TestCertificates } from './tls-certificates.fixture.js';
import { listenWebSocket } from './ws-listener.js';

let g: Awaited<ReturnType<typeof startTestGateway>>;
let h: { hub: ConnectionHub };
let certs: TestCertificates;
let ws: MqttListener;
let wss: MqttListener;

beforeAll(async () => {
  certs = await createTestCertificates();
  // Many refused logins from 127.0.0.1 on purpose: no lockout here.
  g = await startTestGateway({ MQTT_AUTH_MAX_FAILURES: 1_000 });
  h = { hub: g.service.hub };
  ws = await listenWebSocket(h.hub, '127.0.0.1', 0, { maxPayload: TEST_MAX_PACKET_SIZE });
  const tls = { key: certs.server.key, cert: certs.server.cert, requestClientCertificate: false, handshakeTimeoutMs: 2_000 };
  wss = await listenWebSocket(h.hub, '127.0.0.1', 0, { maxPayload: TEST_MAX_PACKET_SIZE, tls });
});
afterAll(async () => {
  // As the service stops: stop accepting, close the connections, then the servers finish closing.
  const closed = Promise.all([ws.close(), wss.close()]);
  await closed;
  await g.stop();
  await certs.cleanup();
});

const url = (path = '/mqtt') => `ws://127.0.0.1:${ws.address.port}${path}`;
const geoTopic = (serial: string) => `acme/agent/${serial}/Status/Geolocation`;
const connectPacket = (serial: string) => mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: serial, clean: true, keepalive: 30, username: serial, password: Buffer.from(PASSWORD) });

/** A bare WebSocket client: what the server negotiated, the MQTT packets it sent, and how it closed. */
async function rawWs(protocols: string[], options: WebSocket.ClientOptions = {}) {
  const socket = new WebSocket(url(), protocols, options);
  const packets: Packet[] = [];
  const parser = mqttPacket.parser();
  parser.on('packet', (packet: Packet) => packets.push(packet));
  socket.on('message', (data: Buffer) => parser.parse(data));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { socket, packets, closed };
}

/** The HTTP status the upgrade got: 101 when the WebSocket opened. */
function upgradeStatus(target: string, protocols: string[]): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(target, protocols);
    socket.once('open', () => (resolve(101), socket.terminate()));
    socket.once('unexpected-response', (_request, response) => (resolve(response.statusCode ?? 0), socket.terminate()));
    socket.once('error', () => resolve(0));
  });
}

describe('MQTT over WebSocket', () => {
  it('serves sub-protocol mqtt: a Flyve position is stored, the source address kept, the client leaving noticed', async () => {
    const before = await g.count('geo');
    const device = await connectMqtt(ws.address.port, { protocol: 'ws', path: '/mqtt', username: 'ws-dev-1', password: PASSWORD, clientId: 'ws-dev-1' });
    await device.publishAsync(geoTopic('ws-dev-1'), position(), { qos: 1 });
    expect(await g.count('geo')).toBe(before + 1);
    const served = [...h.hub.connections].find((connection) => connection.clientId === 'ws-dev-1');
    expect(served?.socket.remoteAddress).toBe('127.0.0.1');
    await endAll(device);
    // A client that closes the WebSocket without MQTT DISCONNECT is noticed too (its will is due).
    const { socket, packets } = await rawWs(['mqtt']);
    socket.send(connectPacket('ws-dev-2'));
    await waitFor('CONNACK', () => packets.length > 0);
    const abrupt = [...h.hub.connections].find((connection) => connection.clientId === 'ws-dev-2');
    socket.close(1000);
    await waitFor('the server side to close', () => abrupt?.state === 'closed' && !h.hub.connections.has(abrupt));
  });

  it('negotiates mqtt, or mqttv3.1 for MQTT 3.1 clients, and never compression (hardening §1.16)', async () => {
    const modern = await rawWs(['mqtt'], { perMessageDeflate: true });
    expect([modern.socket.protocol, modern.socket.extensions]).toEqual(['mqtt', '']);
    modern.socket.terminate();
    const legacy = await rawWs(['mqttv3.1']);
    expect(legacy.socket.protocol).toBe('mqttv3.1');
    legacy.socket.terminate();
    const v31 = await connectMqtt(ws.address.port, { protocol: 'ws', path: '/mqtt', protocolId: 'MQIsdp', protocolVersion: 3, username: 'ws-v31', password: PASSWORD, clientId: 'ws-v31' });
    await v31.publishAsync(geoTopic('ws-v31'), position(), { qos: 1 });
    await endAll(v31);
  });

  it('refuses other sub-protocols, none at all, and other paths before the upgrade [MQTT-6.0.0-3]', async () => {
    expect(await upgradeStatus(url(), ['mqtt'])).toBe(101);
    expect(await upgradeStatus(url(), ['chat'])).toBe(400);
    expect(await upgradeStatus(url(), [])).toBe(400);
    expect(await upgradeStatus(url('/other'), ['mqtt'])).toBe(404);
  });

  it('reads packets split across frames and several packets in one frame [MQTT-6.0.0-2]', async () => {
    const { socket, packets } = await rawWs(['mqtt']);
    const connect = connectPacket('ws-split');
    socket.send(connect.subarray(0, 5));
    socket.send(connect.subarray(5));
    const publish = mqttPacket.generate({ cmd: 'publish', topic: geoTopic('ws-split'), payload: position(), qos: 1, messageId: 9, dup: false, retain: false });
    socket.send(Buffer.concat([publish, mqttPacket.generate({ cmd: 'pingreq' })]));
    await waitFor('three packets', () => packets.length >= 3);
    // PINGRESP leaves at once, PUBACK once the position is stored: either order.
    expect(packets[0]).toMatchObject({ cmd: 'connack', returnCode: 0 });
    expect(packets.slice(1)).toEqual(expect.arrayContaining([expect.objectContaining({ cmd: 'puback', messageId: 9 }), expect.objectContaining({ cmd: 'pingresp' })]));
    socket.terminate();
  });

  it('closes a connection that sends a text frame, without reading it [MQTT-6.0.0-1]', async () => {
    const { socket, packets, closed } = await rawWs(['mqtt']);
    // A CONNECT without credentials is valid UTF-8: read as MQTT it would get CONNACK 5.
    const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'ws-text', clean: true, keepalive: 30 });
    socket.send(connect.toString('utf8'));
    expect(await closed).toBe(1003);
    expect(packets).toEqual([]);
  });

  it('closes a connection whose frame exceeds maxPayload (1009) while other clients keep working', async () => {
    const bystander = await connectMqtt(ws.address.port, { protocol: 'ws', path: '/mqtt', username: 'ws-calm', password: PASSWORD, clientId: 'ws-calm' });
    const { socket, packets, closed } = await rawWs(['mqtt']);
    socket.send(connectPacket('ws-big'));
    await waitFor('CONNACK', () => packets.length > 0);
    socket.send(Buffer.alloc(TEST_MAX_PACKET_SIZE + 1, 0x30));
    expect(await closed).toBe(1009);
    const before = await g.count('geo');
    await bystander.publishAsync(geoTopic('ws-calm'), position(), { qos: 1 });
    expect(await g.count('geo')).toBe(before + 1);
    await endAll(bystander);
  });

  it('serves wss:// with the server certificate', async () => {
    const before = await g.count('geo');
    const device = await connectMqtt(wss.address.port, { protocol: 'wss', path: '/mqtt', ca: certs.ca, username: 'wss-dev-1', password: PASSWORD, clientId: 'wss-dev-1' });
    await device.publishAsync(geoTopic('wss-dev-1'), position(), { qos: 1 });
    expect(await g.count('geo')).toBe(before + 1);
    await endAll(device);
    // The same listener does not speak plain WebSocket.
    expect(await upgradeStatus(`ws://127.0.0.1:${wss.address.port}/mqtt`, ['mqtt'])).not.toBe(101);
  });
});
