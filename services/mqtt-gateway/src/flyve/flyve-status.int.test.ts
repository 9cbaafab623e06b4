import { credentialKey, generateSecret, hashGeneratedSecret } from '@flotilla/credentials';
import { connectMqtt, endAll, waitFor } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../gateway.fixture.js';

// Every Status/* fixture of flyve-mdm.md §B.8 (and the §A forms) from a real MQTT client: the event the
// platform records, and the refusal of malformed variants.
let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway({ MQTT_MAX_PACKET_SIZE: 262_144 });
});
afterAll(() => g.stop());

let n = 0;
async function agent(version: 3 | 4 | 5 = 3) {
  const serial = `R58M${++n}ABC`;
  const password = generateSecret();
  await g.putCredential(credentialKey.username(serial), { tenant: 'acme', deviceId: serial, dialect: 'flyve', kind: 'username-password', secret: hashGeneratedSecret(password) });
  // Real agents speak MQTT 3.1 (Paho, §B.2).
  const options = { username: serial, password, clientId: `paho${n}`, protocolVersion: version, ...(version === 3 ? { protocolId: 'MQIsdp' as const } : {}) };
  return { serial, password, options, client: await connectMqtt(g.port, options) };
}
const eventsOf = async (serial: string, type: string, context: 'devices' | 'geo' = 'devices') => (await g.events(context, type)).filter((event) => event.subjectId === serial).map((event) => event.data);

describe('Flyve Status/* messages become events', () => {
  it('records ping, online, task statuses (both forms), inventory, unenroll and the legacy install ack', async () => {
    const { serial, client } = await agent();
    const topic = (suffix: string) => `acme/agent/${serial}/Status/${suffix}`;
    await client.publishAsync(topic('Ping'), '!', { qos: 1 }); // fixture 27
    await client.publishAsync(topic('Online'), '{"online": true}', { qos: 1 }); // fixture 26
    await client.publishAsync(topic('Task/20'), '{ "status": "received" }', { qos: 1 }); // fixture 32
    await client.publishAsync(topic('Task'), '{"updateStatus":[{"taskId":"12","status":"in progress"},{"taskId":14,"status":"done"}]}', { qos: 1 }); // §A.4
    const inventory = `<?xml version='1.0' encoding='utf-8' standalone='yes' ?><REQUEST><QUERY>&lt;![CDATA[INVENTORY]]&gt;</QUERY><DEVICEID>&lt;![CDATA[SM-G960F-2018-12-10-14-02-33]]&gt;</DEVICEID><CONTENT><BIOS><SSN>${serial}</SSN></BIOS></CONTENT></REQUEST>`;
    await client.publishAsync(topic('Inventory'), inventory, { qos: 1 }); // fixture 31
    await client.publishAsync(`/acme/agent/${serial}/Status/Install`, '{"ack":"org.fdroid.fdroid"}', { qos: 1 }); // fixture 40, legacy leading slash
    await client.publishAsync(topic('Unenroll'), '{"unenroll": "unenrolled"}', { qos: 1 }); // fixture 35
    expect(await eventsOf(serial, 'DevicePinged')).toHaveLength(1);
    expect(await eventsOf(serial, 'DeviceOnlineReported')).toMatchObject([{ online: true, lastWill: false, retained: false }]);
    expect((await eventsOf(serial, 'DeviceTaskStatusReported')).map(({ taskId, status }) => [taskId, status])).toEqual([
      ['20', 'received'],
      ['12', 'in progress'],
      ['14', 'done'],
    ]);
    expect(await eventsOf(serial, 'DeviceInventoryReported')).toMatchObject([{ format: 'fusioninventory-xml', document: inventory, inventoryDeviceId: 'SM-G960F-2018-12-10-14-02-33' }]);
    expect(await eventsOf(serial, 'DeviceInstallAcknowledged')).toMatchObject([{ packageName: 'org.fdroid.fdroid' }]);
    expect(await eventsOf(serial, 'DeviceUnenrollReported')).toHaveLength(1);
    await endAll(client);
  });

  it('records a position, a reading without a fix, and ignores a bare "?"', async () => {
    const { serial, client } = await agent();
    const geo = `acme/agent/${serial}/Status/Geolocation`;
    await client.publishAsync(geo, '{"latitude":"48.1054276","longitude":"-1.67820699","datetime":1476345332}', { qos: 1 }); // fixture 28
    await client.publishAsync(geo, '{"datetime":1476345333,"gps":"off"}', { qos: 1 }); // fixture 29
    await client.publishAsync(geo, '?', { qos: 1 }); // fixture 30
    expect(await eventsOf(serial, 'DevicePositionReported', 'geo')).toMatchObject([{ lat: 48.1054276, lon: -1.67820699 }]);
    expect(await eventsOf(serial, 'DeviceLocationUnavailable', 'geo')).toMatchObject([{ reason: 'gps-off', reportedAt: '2016-10-13T07:55:33.000Z' }]);
    expect(await g.deadLetters()).not.toContainEqual(expect.objectContaining({ topic: geo }));
    await endAll(client);
  });

  it.each([
    ['Ping', 'pong'],
    ['Online', '{"online":"maybe"}'],
    ['Task/7', '{"status":"queued"}'],
    ['Task/7', '{"status":"pushed"}'],
    ['Task/7', JSON.stringify({ status: 's'.repeat(256) })],
    ['Task/7', '{"status":42}'],
    ['Task/not.valid', '{"status":"done"}'],
    ['Task', '{"updateStatus":"done"}'],
    ['Inventory', '<REQUEST><QUERY>INVENTORY'],
    ['Unenroll', '{"unenroll":true}'],
    ['Install', '{"ack":""}'],
    ['Geolocation', '{"latitude":91,"longitude":0,"datetime":1}'],
    ['Geolocation', '{"latitude":"north","longitude":0,"datetime":1}'],
  ])('refuses %s %s with 0x99 (MQTT 5), stores nothing and keeps the raw bytes as a dead letter', async (suffix, payload) => {
    const { serial, client } = await agent(5);
    const topic = `acme/agent/${serial}/Status/${suffix}`;
    await expect(client.publishAsync(topic, payload, { qos: 1 })).rejects.toMatchObject({ code: 0x99 });
    const stored = [...(await g.events('devices')), ...(await g.events('geo'))].filter((event) => event.subjectId === serial && event.type !== 'DeviceConnected');
    expect(stored).toEqual([]);
    const letter = (await g.deadLetters()).find((candidate) => candidate.topic === topic);
    expect(letter?.payload).toBe(payload);
    expect(letter?.reason).toMatch(new RegExp(`^acme/${serial}: payload-invalid: `));
    await endAll(client);
  });

  it('refuses topics outside the Flyve status set, and the status-on-policy-topic bug of 2018 agents (§B.4)', async () => {
    const { serial, client } = await agent(5);
    await expect(client.publishAsync(`acme/agent/${serial}/Status/Selfie`, '{}', { qos: 1 })).rejects.toMatchObject({ code: 0x90 });
    await expect(client.publishAsync(`acme/fleet/3/Policy/disableCamera/Task/14/Status/Task/14`, '{"status":"done"}', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await endAll(client);
  });
});

describe('online state and the Last Will', () => {
  it('records the will of a connection that died as offline, and ignores the stale will of a connection the device replaced', async () => {
    const { serial, options } = await agent();
    const will = { topic: `acme/agent/${serial}/Status/Online`, payload: Buffer.from('{ "online": false }'), qos: 0 as const, retain: true }; // fixture 25
    const first = await connectMqtt(g.port, { ...options, will });
    await first.publishAsync(`acme/agent/${serial}/Status/Online`, '{"online": true}', { qos: 1 });
    // The agent reconnects (new client id, as Paho's random ids do) before the first connection is seen dead.
    const second = await connectMqtt(g.port, { ...options, clientId: `${options.clientId}-b`, will });
    await second.publishAsync(`acme/agent/${serial}/Status/Online`, '{"online": true}', { qos: 1 });
    (first as unknown as { stream: { destroy(): void } }).stream.destroy();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const reports = await eventsOf(serial, 'DeviceOnlineReported');
    // The first connection's will arrived after the second connection said online: not recorded.
    expect(reports.map((report) => report.online)).toEqual([true, true]);
    // The current connection dies: its will is recorded, with the retain flag the agent set.
    (second as unknown as { stream: { destroy(): void } }).stream.destroy();
    await waitFor('the will', async () => (await eventsOf(serial, 'DeviceOnlineReported')).length === 3);
    expect((await eventsOf(serial, 'DeviceOnlineReported'))[2]).toMatchObject({ online: false, lastWill: true, retained: true });
    await endAll(first, second);
  });
});
