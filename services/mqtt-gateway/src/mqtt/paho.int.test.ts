import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DeviceCommandIssued } from '@flotilla/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestGateway } from '../gateway.fixture.js';

// Debian's interpreter, where python3-paho-mqtt is installed (another python3 may come first on PATH).
const PYTHON = '/usr/bin/python3';
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'paho-device.fixture.py');

let g: Awaited<ReturnType<typeof startTestGateway>>;
beforeAll(async () => {
  g = await startTestGateway();
});
afterAll(() => g.stop());

async function paho(version: 4 | 5, serial: string, password: string, waitSeconds: number) {
  const { stdout } = await promisify(execFile)(PYTHON, [script, String(g.port), String(version), serial, password, String(waitSeconds)]);
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { event: string; rc?: number; mid?: number; topic?: string; payload?: string; qos?: number });
}

describe.each([4, 5] as const)('Eclipse paho-mqtt, MQTT protocol level %i', (version) => {
  it('connects, publishes at QoS 1 and 2 (both stored), and receives a queued wipe at QoS 2', async () => {
    const serial = `paho-${version}`;
    await g.bus.publish(DeviceCommandIssued, { tenant: 'acme', subjectId: serial, data: { commandId: `wipe-${serial}`, deviceId: serial, command: { type: 'wipe' }, expiresAt: null, taskId: null } });
    const before = await g.count('geo');
    const events = await paho(version, serial, PASSWORD, 1.5);
    expect(events.find((e) => e.event === 'connack')).toEqual({ event: 'connack', rc: 0 });
    const sent = events.filter((e) => e.event === 'sent').map((e) => e.mid);
    expect(events.filter((e) => e.event === 'published').map((e) => e.mid).sort()).toEqual(sent.sort());
    expect(await g.count('geo')).toBe(before + 2);
    expect(events.filter((e) => e.event === 'message')).toEqual([{ event: 'message', topic: `acme/agent/${serial}/Command/Wipe`, payload: '{"wipe":"now"}', qos: 2 }]);
  });

  it('is refused with a wrong password', async () => {
    const events = await paho(version, `paho-bad-${version}`, 'wrong-password', 0.5);
    expect(events.find((e) => e.event === 'connack')?.rc).toBe(version === 5 ? 0x86 : 5);
    expect(events.some((e) => e.event === 'sent')).toBe(false);
  });
});
