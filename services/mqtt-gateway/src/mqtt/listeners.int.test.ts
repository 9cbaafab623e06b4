import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectMqtt, endAll } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, position, startTestGateway } from '../gateway.fixture.js';
import { createTestCertificates, type TestCertificates } from './tls-certificates.fixture.js';

let dir: string;
let certs: TestCertificates;
beforeAll(async () => {
  certs = await createTestCertificates();
  dir = await mkdtemp(path.join(tmpdir(), 'flotilla-listeners-'));
  await writeFile(path.join(dir, 'server.crt'), certs.server.cert);
  await writeFile(path.join(dir, 'server.key'), certs.server.key);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('listeners from configuration', () => {
  it('serves TCP, TLS, WebSocket and secure WebSocket on one gateway, and lists them as endpoints', async () => {
    const g = await startTestGateway({
      MQTT_TLS_PORT: 0,
      MQTT_WS_PORT: 0,
      MQTT_WSS_PORT: 0,
      MQTT_TLS_CERT_FILE: path.join(dir, 'server.crt'),
      MQTT_TLS_KEY_FILE: path.join(dir, 'server.key'),
      MQTT_WS_PATH: '/mqtt',
    });
    try {
      const { ports } = g.service;
      expect(Object.keys(ports).sort()).toEqual(['tcp', 'tls', 'ws', 'wss']);
      expect(g.service.endpoints).toEqual(expect.arrayContaining([`mqtts://127.0.0.1:${ports.tls}`, `ws://127.0.0.1:${ports.ws}/mqtt`, `wss://127.0.0.1:${ports.wss}/mqtt`]));
      const clients = [
        await connectMqtt(ports.tcp!, { username: 'l-tcp', password: PASSWORD, clientId: 'l-tcp' }),
        await connectMqtt(ports.tls!, { protocol: 'mqtts', ca: certs.ca, username: 'l-tls', password: PASSWORD, clientId: 'l-tls' }),
        await connectMqtt(ports.ws!, { protocol: 'ws', path: '/mqtt', username: 'l-ws', password: PASSWORD, clientId: 'l-ws' }),
        await connectMqtt(ports.wss!, { protocol: 'wss', path: '/mqtt', ca: certs.ca, username: 'l-wss', password: PASSWORD, clientId: 'l-wss' }),
      ];
      for (const [i, client] of clients.entries()) await client.publishAsync(`acme/agent/${['l-tcp', 'l-tls', 'l-ws', 'l-wss'][i]}/Status/Geolocation`, position(1, 2, 1700000000 + i), { qos: 1 });
      expect(await g.count('geo')).toBe(4);
      await endAll(...clients);
    } finally {
      await g.stop();
    }
  });
});
