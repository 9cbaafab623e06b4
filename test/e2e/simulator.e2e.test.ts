import { DeviceCommandIssued, retainedKey, type RetainedMessage } from '@flotilla/contracts';
import { RETAINED_BUCKET } from '@flotilla/mqtt-gateway';
import { waitFor } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '@flotilla/mqtt-gateway/testing';
import { simulate } from '@flotilla/simulator';

let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway({ MQTT_DEVICE_MESSAGE_RATE: '' });
});
afterAll(() => g.stop());

const command = (serial: string, id: string, type: 'ping' | 'wipe' | 'inventory' | 'geolocate' | 'unenroll') =>
  g.bus.publish(DeviceCommandIssued, { tenant: 'acme', subjectId: serial, data: { commandId: id, deviceId: serial, command: { type }, expiresAt: null, taskId: null } });
const events = async (type: string, context: 'devices' | 'geo' = 'devices') => g.events(context, type);

describe.each(['legacy', 'spec'] as const)('flotilla simulate: %s Flyve agents', (format) => {
  it('connects agents that report positions, answer commands as real agents do and report policy tasks done', async () => {
    const agents = Array.from({ length: 20 }, (_, i) => ({ tenant: 'acme', serial: `sim-${format}-${i}`, password: PASSWORD }));
    const run = await simulate({ host: '127.0.0.1', port: g.port, agents, format, positionIntervalMs: 200, connectConcurrency: 10, seed: 7 });
    try {
      expect(run.failed).toEqual([]);
      // Positions from every agent.
      await waitFor('positions of every agent', async () => new Set((await events('DevicePositionReported', 'geo')).map((e) => e.subjectId).filter((s) => s.startsWith(`sim-${format}-`))).size === 20, 10_000);
      // Commands: a ping, a wipe (QoS 2), an inventory request, a geolocate and an unenroll.
      const [first, second] = [agents[0]!.serial, agents[1]!.serial];
      await command(first, `${format}-ping`, 'ping');
      await command(first, `${format}-wipe`, 'wipe');
      await command(first, `${format}-inventory`, 'inventory');
      await command(second, `${format}-unenroll`, 'unenroll');
      await waitFor('the answers', async () => (await events('DevicePinged')).some((e) => e.subjectId === first) && (await events('DeviceInventoryReported')).some((e) => e.subjectId === first) && (await events('DeviceUnenrollReported')).some((e) => e.subjectId === second), 10_000);
      await waitFor('the wipe', () => run.agents[0]!.report.wiped);
      // A policy of the agent's own tree, retained: per-task (§B.2) for legacy agents, a group (§A.2) for spec ones.
      const kv = (await g.bus.ensureBuckets([{ name: RETAINED_BUCKET }])).get(RETAINED_BUCKET)!;
      const [topic, body] = format === 'legacy' ? [`acme/agent/${first}/Policy/disableCamera/Task/15`, '{"disableCamera":"true","taskId":"15"}'] : [`acme/agent/${first}/Policy/camera`, '{"camera":[{"disableCamera":"true","taskId":"15"}]}'];
      const message: RetainedMessage = { version: 1, topic, payload: Buffer.from(body).toString('base64'), qos: 1, updatedAt: new Date() };
      await kv.put(retainedKey(topic), JSON.stringify(message));
      await waitFor('task 15 done', async () => (await events('DeviceTaskStatusReported')).some((e) => e.subjectId === first && e.data.taskId === '15' && e.data.status === 'done'), 10_000);
      const summary = run.summary();
      expect(summary).toMatchObject({ agents: 20, connected: 20, failed: 0, wiped: 1, unenrolled: 1, errors: 0 });
      expect(summary.received).toMatchObject({ Ping: 1, Wipe: 1, Inventory: 1, Unenroll: 1 });
      expect(summary.sent.Geolocation).toBeGreaterThanOrEqual(20);
    } finally {
      await run.stop();
    }
  });
});

describe('flotilla simulate: a wipe for an agent that is offline', () => {
  it('arrives once, at QoS 2, when the agent connects', async () => {
    const serial = 'sim-offline-wipe';
    await command(serial, 'offline-wipe', 'wipe');
    const run = await simulate({ host: '127.0.0.1', port: g.port, agents: [{ tenant: 'acme', serial, password: PASSWORD }], format: 'spec', positionIntervalMs: 0, connectConcurrency: 1, seed: 1 });
    try {
      await waitFor('the wipe', () => run.agents[0]!.report.wiped);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(run.agents[0]!.report.received.Wipe).toBe(1);
      expect(run.agents[0]!.report.receivedQos.Wipe).toBe(2);
    } finally {
      await run.stop();
    }
  });
});
