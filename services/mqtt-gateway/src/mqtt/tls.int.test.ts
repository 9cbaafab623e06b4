import net from 'node:net';
import tls from 'node:tls';
import { credentialKey } from '@flotilla/credentials';
import { connectMqtt, endAll } from '@flotilla/testing';
import type { IClientOptions } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, position, startTestGateway } from '../gateway.fixture.js';
import type { ConnectionHub } from './connection-hub.js';
import type { MqttListener } from './listener.js';
import { createTestCertificates, type ClientCertificate, type TestCertificates } from './tls-certificates.fixture.js';
import { listenTls } from './tls-listener.js';

const HANDSHAKE_TIMEOUT_MS = 500;
let g: Awaited<ReturnType<typeof startTestGateway>>;
let h: { hub: ConnectionHub };
let certs: TestCertificates;
let serverOnly: MqttListener;
let mutual: MqttListener;
const handshakeErrors: NodeJS.ErrnoException[] = [];

beforeAll(async () => {
  certs = await createTestCertificates();
  // Many refused logins from 127.0.0.1 on purpose: no lockout here.
  g = await startTestGateway({ MQTT_AUTH_MAX_FAILURES: 1_000 });
  h = { hub: g.service.hub };
  const common = { key: certs.server.key, cert: certs.server.cert, handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, onClientError: (error: Error) => handshakeErrors.push(error) };
  serverOnly = await listenTls(h.hub, '127.0.0.1', 0, { ...common, requestClientCertificate: false });
  mutual = await listenTls(h.hub, '127.0.0.1', 0, { ...common, ca: certs.ca, requestClientCertificate: true });
});
afterAll(async () => {
  // As the service stops: stop accepting, close the connections, then the servers finish closing.
  const closed = Promise.all([serverOnly.close(), mutual.close()]);
  await closed;
  await g.stop();
  await certs.cleanup();
});

const geoTopic = (serial: string) => `acme/agent/${serial}/Status/Geolocation`;
const mqtts = (port: number, options: IClientOptions = {}) => connectMqtt(port, { protocol: 'mqtts', ca: certs.ca, ...options });
const withCert = (c: ClientCertificate) => ({ cert: c.cert, key: c.key });
const refusalCode = (port: number, options: IClientOptions) =>
  mqtts(port, options).then(
    (c) => c.endAsync().then(() => 'accepted'),
    (e: { code?: number }) => e.code,
  );
const registerX509 = (c: ClientCertificate, deviceId: string, extra: { revoked?: boolean; clientId?: string | null } = {}) =>
  g.putCredential(credentialKey.x509(c.fingerprint), { tenant: 'acme', deviceId, dialect: 'flyve', kind: 'x509', secret: null, ...extra });

/** Raw TLS, then a CONNECT with the valid dev credentials: the CONNACK, or how the connection ended without one. */
function tlsConnect(port: number, options: tls.ConnectionOptions): Promise<{ connack?: Packet; ended?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: certs.ca, ...options });
    const parser = mqttPacket.parser();
    parser.on('packet', (connack: Packet) => (resolve({ connack }), socket.destroy()));
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('secureConnect', () => socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'raw-tls', clean: true, keepalive: 30, username: 'raw-tls', password: Buffer.from(PASSWORD) })));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ ended: error.code ?? error.message }));
    socket.on('close', () => resolve({ ended: 'closed' }));
  });
}

describe('MQTT over TLS', () => {
  it('accepts the dev credentials as over TCP and stores a Flyve position', async () => {
    const before = await g.count('geo');
    const device = await mqtts(serverOnly.address.port, { username: 'tls-dev-1', password: PASSWORD, clientId: 'tls-dev-1' });
    await device.publishAsync(geoTopic('tls-dev-1'), position(), { qos: 1 });
    expect(await g.count('geo')).toBe(before + 1);
    await endAll(device);
  });

  it('negotiates TLS 1.3 by default and refuses TLS 1.1 and CBC suites (Mozilla intermediate)', async () => {
    const handshake = (options: tls.ConnectionOptions) =>
      new Promise<string>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port: serverOnly.address.port, ca: certs.ca, ...options }, () => (resolve(`${socket.getProtocol()} ${socket.getCipher().name}`), socket.destroy()));
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(`refused ${error.code}`));
      });
    expect(await handshake({})).toMatch(/^TLSv1\.3 TLS_AES_/);
    expect(await handshake({ maxVersion: 'TLSv1.2' })).toBe('TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256');
    // Node's default server would accept both of these.
    expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' })).toMatch(/^refused/);
    expect(await handshake({ minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).toMatch(/^refused/);
  });

  it('drops a client that never completes the handshake once the handshake deadline passes', async () => {
    const started = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port: mutual.address.port });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('close', resolve));
    // Well before the 1 s CONNECT deadline: the TLS server dropped it, not the MQTT connection.
    expect(Date.now() - started).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 50);
    expect(Date.now() - started).toBeLessThan(950);
    expect(handshakeErrors.map((error) => error.code)).toContain('ERR_TLS_HANDSHAKE_TIMEOUT');
  });
});

describe('mutual TLS (X.509 client certificates)', () => {
  it('admits a device by its registered certificate, without username or password, and stores its position', async () => {
    const cert = await certs.issue('x509-1');
    await registerX509(cert, 'x509-1', { clientId: 'x509-1' });
    const before = await g.count('geo');
    const device = await mqtts(mutual.address.port, { ...withCert(cert), clientId: 'x509-1' });
    await device.publishAsync(geoTopic('x509-1'), position(), { qos: 1 });
    expect(await g.count('geo')).toBe(before + 1);
    await endAll(device);
    // The record pins the client id: the same certificate with another one is refused.
    expect(await refusalCode(mutual.address.port, { ...withCert(cert), clientId: 'x509-other', protocolVersion: 5 })).toBe(0x86);
  });

  it('refuses, with the usual codes, a valid certificate with no record, even with a registered device CN', async () => {
    await registerX509(certs.client, 'device-1');
    const twin = await certs.issue('device-1'); // same CA, same subject as certs.client, other key
    expect(await refusalCode(mutual.address.port, { ...withCert(twin), clientId: 'twin', protocolVersion: 4 })).toBe(5);
    expect(await refusalCode(mutual.address.port, { ...withCert(twin), clientId: 'twin', protocolVersion: 5 })).toBe(0x86);
    expect(await refusalCode(mutual.address.port, { ...withCert(certs.client), clientId: 'device-1', protocolVersion: 5 })).toBe('accepted');
  });

  it('disconnects a device whose x509 credential is revoked and refuses it from then on', async () => {
    const cert = await certs.issue('x509-rev');
    const record = await registerX509(cert, 'x509-rev');
    const device = await mqtts(mutual.address.port, { ...withCert(cert), clientId: 'x509-rev', protocolVersion: 5 });
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    await g.putCredential(credentialKey.x509(cert.fingerprint), { ...record, revoked: true });
    await closed;
    await endAll(device);
    expect(await refusalCode(mutual.address.port, { ...withCert(cert), clientId: 'x509-rev', protocolVersion: 5 })).toBe(0x86);
  });

  // Counts what the TLS layer hands over: a refused handshake must not reach MQTT at all.
  let accepted = 0;
  const countingHub = (): ConnectionHub => ({ ...h.hub, connections: h.hub.connections, accept: (stream) => (accepted++, h.hub.accept(stream)) });

  it.each([
    ['no certificate', () => ({})],
    ['a certificate from another CA', () => withCert(certs.otherCa)],
    ['a certificate from a fake CA with the real CA subject DN', () => withCert(certs.fakeCa)],
    ['an expired certificate', () => withCert(certs.expired)],
    ['a certificate listed in the CA revocation list', () => withCert(certs.revoked)],
  ])('refuses %s in the TLS handshake: no CONNACK, even for valid CONNECT credentials', async (_case, options) => {
    const listener = await listenTls(countingHub(), '127.0.0.1', 0, { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, crl: certs.crl, requestClientCertificate: true, handshakeTimeoutMs: 2_000 });
    try {
      const outcome = await tlsConnect(listener.address.port, options());
      expect(outcome.connack).toBeUndefined();
      expect(outcome.ended).toBeDefined();
      expect(accepted).toBe(0);
      // The same listener lets the valid certificate through: the refusal was the certificate's.
      expect(await tlsConnect(listener.address.port, withCert(certs.client))).toMatchObject({ connack: { returnCode: 0 } });
      expect(accepted).toBe(1);
    } finally {
      accepted = 0;
      await h.hub.closeAll();
      await listener.close();
    }
  });
});
