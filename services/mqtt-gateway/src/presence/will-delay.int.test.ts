import { waitFor } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '../gateway.fixture.js';
import { rawClient } from '../mqtt/raw-client.fixture.js';

let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway();
});
afterAll(() => g.stop());

// A published will is a DeviceOnlineReported event (online false, lastWill true) of the device.
const willsOf = async (serial: string) => (await g.events('devices', 'DeviceOnlineReported')).filter((event) => event.subjectId === serial && event.data.lastWill === true && event.data.online === false).length;

async function connectWithWill(serial: string, willDelayInterval: number, sessionExpiryInterval: number) {
  const client = await rawClient(g.port, 5);
  client.send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 5,
    clientId: serial,
    clean: false,
    keepalive: 30,
    username: serial,
    password: Buffer.from(PASSWORD),
    properties: { sessionExpiryInterval },
    will: { topic: `acme/agent/${serial}/Status/Online`, payload: Buffer.from('{"online":false}'), qos: 1, retain: false, properties: { willDelayInterval } },
  });
  expect(await client.next('connack')).toMatchObject({ reasonCode: 0 });
  return client;
}

describe('MQTT 5 will delay', () => {
  it('publishes the will after its delay when the device does not come back', async () => {
    const client = await connectWithWill('wd-1', 1, 60);
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await willsOf('wd-1')).toBe(0);
    await waitFor('the delayed will', async () => (await willsOf('wd-1')) === 1, 10_000);
  });

  it('drops the will when the device reconnects within the delay', async () => {
    const client = await connectWithWill('wd-2', 2, 60);
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const back = await connectWithWill('wd-2', 2, 60);
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    expect(await willsOf('wd-2')).toBe(0);
    back.send({ cmd: 'disconnect' });
  });

  it('publishes at once when the session ends with the connection, whatever the delay', async () => {
    const client = await connectWithWill('wd-3', 30, 0);
    client.destroy();
    await waitFor('the will', async () => (await willsOf('wd-3')) === 1, 10_000);
  });
});
