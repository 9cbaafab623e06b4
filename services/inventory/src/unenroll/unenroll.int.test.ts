import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceCredential, DeviceUnenrollReported, retainedKey } from '@flotilla/contracts';
import { credentialKey } from '@flotilla/credentials';
import { startServiceInProcess, waitFor, type InProcessService } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventorySettings } from '../config.js';
import { enroll } from '../enrollment/enroll.js';
import { EnrollmentRequest } from '../enrollment/enrollment-request.js';
import { createInvitation } from '../invitations/invitations.js';
import { startInventory, type RunningInventory } from '../service.js';
import { requestUnenroll } from './unenroll.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../inventory-document/fixtures/phone-galaxy-s9.xml');
let clock = Date.UTC(2026, 10, 22, 12);
let s: InProcessService<RunningInventory>;
let inventory: string;

beforeAll(async () => {
  inventory = (await readFile(fixture)).toString('base64');
  s = await startServiceInProcess((context, schema) =>
    startInventory(context, inventorySettings.parse({ INVENTORY_DB_SCHEMA: schema('inventory'), UNENROLL_FORCE_AFTER_SECONDS: '60', BOOTSTRAP_TENANT: 'acme' }), { now: () => new Date(clock) }),
  );
});
afterAll(() => s.stop());

const ctx = () => s.service.context;
const credential = async (serial: string) => DeviceCredential.parse((await ctx().buckets.deviceCredentials.get(credentialKey.username(serial)))!.json());
const registryRow = (serial: string) => ctx().db.selectFrom('devices').selectAll().where('tenant', '=', 'acme').where('device_id', '=', serial).executeTakeFirst();

async function enrolled(serial: string): Promise<void> {
  const { token } = await createInvitation(ctx(), 'acme', 'owner@example.com');
  await enroll(ctx(), EnrollmentRequest.parse({ invitationToken: token, serial, type: 'android', version: '2.1.0', inventory }), { remoteAddress: null });
}

describe('unenrollment', () => {
  it('an operator forces a device out only after it has had its time to confirm; then its credential and retained topics go', async () => {
    expect(s.service.bootstrap).toMatchObject({ tenant: 'acme' });
    await enrolled('FORCE-1');
    expect(await credential('FORCE-1')).toMatchObject({ tenant: 'acme', deviceId: 'FORCE-1', revoked: false });
    await ctx().buckets.retained.put(retainedKey('acme/agent/FORCE-1/Policy/camera'), 'x');

    expect(await requestUnenroll(ctx(), 'acme', 'FORCE-1', true)).toMatchObject({ kind: 'too-early' });
    expect(await requestUnenroll(ctx(), 'acme', 'FORCE-1', false)).toMatchObject({ kind: 'requested' });
    clock += 59_000;
    expect(await requestUnenroll(ctx(), 'acme', 'FORCE-1', true)).toMatchObject({ kind: 'too-early', forceAfter: new Date(clock + 1_000) });
    clock += 1_000;
    expect(await requestUnenroll(ctx(), 'acme', 'FORCE-1', true)).toEqual({ kind: 'forced' });
    expect(await requestUnenroll(ctx(), 'acme', 'FORCE-1', true)).toEqual({ kind: 'not-enrolled' });

    await waitFor('credential revoked', async () => (await credential('FORCE-1')).revoked);
    await waitFor('retained topics cleared', async () => (await ctx().buckets.retained.get(retainedKey('acme/agent/FORCE-1/Policy/camera')))?.operation !== 'PUT');
    await waitFor('registry says unenrolled', async () => (await registryRow('FORCE-1'))?.enrollment_status === 'unenrolled');
  });

  it('a device confirming with Status/Unenroll is unenrolled without an operator request too, once', async () => {
    await enrolled('CONFIRM-1');
    for (let i = 0; i < 2; i++) await s.bus.publish(DeviceUnenrollReported, { tenant: 'acme', subjectId: 'CONFIRM-1', data: { deviceId: 'CONFIRM-1', receivedAt: new Date(clock) } });
    await waitFor('credential revoked', async () => (await credential('CONFIRM-1')).revoked);
    await waitFor('registry says unenrolled', async () => (await registryRow('CONFIRM-1'))?.enrollment_status === 'unenrolled');
    const stream = s.bus.names.stream('devices');
    const info = await s.bus.connection.jsm.streams.info(stream, { subjects_filter: s.bus.names.subject('devices.acme.CONFIRM-1.DeviceUnenrolled') });
    expect(Object.values(info.state.subjects ?? {})).toEqual([1]);
  });

  it('enrolling a serial again removes what its earlier enrollment left: retained topics and queued commands', async () => {
    await ctx().buckets.retained.put(retainedKey('acme/agent/FORCE-1/Command/Unenroll'), 'stale');
    await enrolled('FORCE-1');
    expect((await ctx().buckets.retained.get(retainedKey('acme/agent/FORCE-1/Command/Unenroll')))?.operation).not.toBe('PUT');
    expect(await credential('FORCE-1')).toMatchObject({ revoked: false });
    const commands = await s.bus.connection.jsm.streams.info(s.bus.names.stream('commands'), { subjects_filter: s.bus.names.subject('commands.acme.FORCE-1.>') });
    // Only the new enrollment's Command/Subscribe waits; the forced unenrollment's Command/Unenroll is gone.
    expect(Object.values(commands.state.subjects ?? {})).toEqual([1]);
  });
});
