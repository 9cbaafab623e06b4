import { DeviceCommandIssued } from '@flotilla/contracts';
import { waitFor } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from '../mqtt/raw-client.fixture.js';
import { SESSIONS_BUCKET } from '../service.js';
import { SessionStore } from './session-store.js';

let a: Awaited<ReturnType<typeof startTestGateway>>;
let b: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  a = await startTestGateway({ GATEWAY_ID: 'gw-a', MQTT_MAX_SESSION_EXPIRY: 60 });
  b = await startTestGateway({ GATEWAY_ID: 'gw-b', MQTT_MAX_SESSION_EXPIRY: 60 }, a.namespace);
});
afterAll(async () => {
  await b.service.stop();
  await a.stop();
});

async function connect(port: number, serial: string, version: 4 | 5, fields: Record<string, unknown> = {}) {
  const client = await rawClient(port, version);
  client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId: serial, clean: false, keepalive: 30, username: serial, password: Buffer.from(PASSWORD), ...fields });
  return { client, connack: await client.next('connack') };
}
/** Session writes are asynchronous: waits for the one a disconnect made, before resuming elsewhere. */
async function savedAtDisconnect(clientId: string): Promise<void> {
  const store = new SessionStore((await a.bus.ensureBuckets([{ name: SESSIONS_BUCKET }])).get(SESSIONS_BUCKET)!);
  await waitFor('the session saved at disconnect', async () => (await store.load(clientId))?.disconnectedAt ?? undefined);
}
const leave = async (client: Awaited<ReturnType<typeof rawClient>>) => {
  client.send({ cmd: 'disconnect' });
  await client.closed;
};

describe('persistent sessions', () => {
  it('resumes a 3.1.1 session on another replica: session present, subscriptions kept, queued commands delivered', async () => {
    const first = await connect(a.port, 's-1', 4);
    expect(first.connack).toMatchObject({ returnCode: 0, sessionPresent: false });
    first.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'acme/agent/s-1/Command/#', qos: 1 }] });
    await first.client.next('suback');
    await leave(first.client);
    await a.bus.publish(DeviceCommandIssued, { tenant: 'acme', subjectId: 's-1', data: { commandId: 'c-s-1', deviceId: 's-1', command: { type: 'lock' }, expiresAt: null, taskId: null } });
    const second = await connect(b.port, 's-1', 4);
    expect(second.connack).toMatchObject({ returnCode: 0, sessionPresent: true });
    // No SUBSCRIBE this time: the session's subscription receives the command.
    expect(await second.client.next('publish')).toMatchObject({ topic: 'acme/agent/s-1/Command/Lock', qos: 1 });
    second.client.destroy();
  });

  it('starts afresh with clean session 1, discarding what was stored', async () => {
    await leave((await connect(a.port, 's-2', 4)).client);
    await leave((await connect(a.port, 's-2', 4, { clean: true })).client);
    const again = await connect(a.port, 's-2', 4);
    expect(again.connack).toMatchObject({ sessionPresent: false });
    again.client.destroy();
  });

  it('honours the MQTT 5 session expiry, and lowers one above the maximum', async () => {
    const short = await connect(a.port, 's-3', 5, { properties: { sessionExpiryInterval: 1 } });
    expect(short.connack.properties?.sessionExpiryInterval).toBeUndefined();
    await leave(short.client);
    await savedAtDisconnect('s-3');
    expect((await connect(b.port, 's-3', 5)).connack).toMatchObject({ sessionPresent: true });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const expired = await connect(b.port, 's-3', 5, { properties: { sessionExpiryInterval: 3_600 } });
    // The second connection asked for no expiry, so its session ended with it; this one asks for an hour and gets 60 s.
    expect(expired.connack).toMatchObject({ reasonCode: 0, sessionPresent: false, properties: { sessionExpiryInterval: 60 } });
    expired.client.destroy();
  });

  it("does not let another device resume a session under the same client id", async () => {
    await leave((await connect(a.port, 's-4', 4)).client);
    await savedAtDisconnect('s-4');
    const intruder = await rawClient(b.port, 4);
    intruder.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 's-4', clean: false, keepalive: 30, username: 'intruder', password: Buffer.from(PASSWORD) });
    expect(await intruder.next('connack')).toMatchObject({ returnCode: 2 });
  });

  it('waits for the last write of a session still marked connected, so an immediate reconnect resumes its final state', async () => {
    const store = new SessionStore((await a.bus.ensureBuckets([{ name: SESSIONS_BUCKET }])).get(SESSIONS_BUCKET)!);
    const base = { version: 1 as const, clientId: 'settle-1', tenant: 'acme', deviceId: 'settle-1', kind: 'device' as const, outbound: [], cursors: {}, completedCommands: [], expirySeconds: 60 };
    await store.save({ ...base, subscriptions: [{ filter: 'acme/agent/settle-1/Command/#', qos: 1 }], disconnectedAt: null });
    // The previous connection writes its final state 150 ms after the new CONNECT read the session.
    setTimeout(() => void store.save({ ...base, subscriptions: [{ filter: 'acme/agent/settle-1/Policy/#', qos: 1 }], disconnectedAt: new Date() }), 150);
    const started = Date.now();
    const loaded = await store.load('settle-1', 1_000);
    expect(loaded?.subscriptions.map((s) => s.filter)).toEqual(['acme/agent/settle-1/Policy/#']);
    expect(Date.now() - started).toBeLessThan(900);
    // A connection that never writes again costs the wait, then its last known state is used.
    await store.save({ ...base, subscriptions: [], disconnectedAt: null });
    const stale = Date.now();
    expect((await store.load('settle-1', 300))?.disconnectedAt).toBeNull();
    expect(Date.now() - stale).toBeGreaterThanOrEqual(290);
  });
});
