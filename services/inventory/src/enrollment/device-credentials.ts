import { DeviceCredentialIssued, DeviceCredentialRevoked } from '@flotilla/contracts';
import { generateSecret, hashGeneratedSecret } from '@flotilla/credentials';
import type { InventoryContext } from '../context.js';
import { applyIdentityRecord } from '../identity/kv-records.js';

/**
 * Issues a Flyve device a new password (32 random characters, kept as its SHA-256) and makes it usable
 * at once; any earlier password of the device stops working. Returns the password, which is kept nowhere.
 */
export async function issueDeviceCredential(ctx: InventoryContext, tenant: string, deviceId: string, username: string, fleet: string | null, reason: 'enrollment' | 'rotation'): Promise<string> {
  const password = generateSecret(24);
  const published = await ctx.bus.publish(DeviceCredentialIssued, {
    tenant,
    subjectId: deviceId,
    data: { deviceId, dialect: 'flyve', kind: 'username-password', username, secret: hashGeneratedSecret(password), fleet, reason },
  });
  await applyIdentityRecord(ctx.buckets, published.event, published.seq);
  return password;
}

/** Revokes a device's credential; a connected device is disconnected by the gateway (MQTT 5 reason 0x98). */
export async function revokeDeviceCredential(ctx: InventoryContext, tenant: string, deviceId: string, username: string, reason: 'unenrolled' | 'operator', eventId?: string): Promise<void> {
  const published = await ctx.bus.publish(DeviceCredentialRevoked, { tenant, subjectId: deviceId, data: { deviceId, username, reason }, ...(eventId ? { id: eventId } : {}) });
  await applyIdentityRecord(ctx.buckets, published.event, published.seq);
}
