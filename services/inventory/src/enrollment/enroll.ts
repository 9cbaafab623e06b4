import { ConcurrencyError } from '@flotilla/bus';
import {
  DeviceCommandIssued,
  DeviceCredential,
  DeviceEnrolled,
  DeviceInventoryReported,
  DeviceUnenrolled,
  EnrollmentRefused,
  InvitationAccepted,
  InvitationReopened,
  UNRESOLVED_TENANT,
  type EnrollmentRefusal,
} from '@flotilla/contracts';
import { credentialKey, sha256Hex } from '@flotilla/credentials';
import type { InventoryContext } from '../context.js';
import { decodeEnrollmentInventory } from '../inventory-document/inventory-document.js';
import { loadInvitation } from '../invitations/invitation-state.js';
import { issueDeviceCredential } from './device-credentials.js';
import { purgePendingCommands } from './pending-commands.js';
import { clearRetainedState } from './retained-state.js';
import { compareVersions, type EnrollmentRequest } from './enrollment-request.js';

/** HTTP status of each refusal. */
const STATUS: Record<EnrollmentRefusal, number> = {
  'invalid-request': 400,
  'email-mismatch': 403,
  'unknown-invitation': 404,
  'invitation-used': 409,
  'serial-in-use': 409,
  'invitation-expired': 410,
  'invitation-canceled': 410,
  'invalid-inventory': 422,
  'unsupported-agent': 422,
};

/** An enrollment that was refused: recorded as an event, answered with `status`. */
export class EnrollmentRefusedError extends Error {
  override readonly name = 'EnrollmentRefusedError';
  readonly status: number;
  constructor(
    readonly reason: EnrollmentRefusal,
    message: string,
  ) {
    super(message);
    this.status = STATUS[reason];
  }
}

/** What an enrolled device is told, once. */
export interface Enrollment {
  id: string;
  tenant: string;
  name: string;
  topic: string;
  fleet: string | null;
  mqtt: { host: string; port: number; tls: boolean; username: string; password: string };
}

/** Where the request came from, for the refusal record. */
export interface EnrollmentOrigin {
  remoteAddress: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Finds the invitation a token belongs to; waits briefly for one created a moment ago to be projected. */
async function findInvitation(ctx: InventoryContext, token: string) {
  const digest = sha256Hex(token);
  for (let attempt = 0; ; attempt++) {
    const row = await ctx.db.selectFrom('invitations').select(['tenant', 'invitation_id']).where('token_digest', '=', digest).executeTakeFirst();
    if (row || attempt >= 10) return row;
    await sleep(100);
  }
}

/** True while `deviceId` of `tenant` is enrolled, and the sequence its next enrollment must expect. */
async function enrollmentOf(ctx: InventoryContext, tenant: string, deviceId: string) {
  const [enrolled, unenrolled] = await Promise.all([ctx.bus.last(DeviceEnrolled, tenant, deviceId), ctx.bus.last(DeviceUnenrolled, tenant, deviceId)]);
  const enrolledSeq = enrolled?.seq ?? 0;
  return { enrolled: enrolledSeq > (unenrolled?.seq ?? 0), enrolledSeq };
}

/** True when another tenant's device, or a live credential not issued by enrollment, holds `serial` as MQTT username. */
async function usernameTaken(ctx: InventoryContext, tenant: string, serial: string): Promise<boolean> {
  const entry = await ctx.buckets.deviceCredentials.get(credentialKey.username(serial));
  if (!entry || entry.operation !== 'PUT') return false;
  const record = DeviceCredential.safeParse(entry.json());
  if (!record.success) return false;
  return !record.data.revoked && (record.data.tenant !== tenant || record.data.deviceId !== serial);
}

/**
 * Enrolls a Flyve device with an invitation (flyve-mdm.md §B.3): checks everything before writing
 * anything, takes the invitation with a conditional append (so it is used once), records the
 * enrollment with a conditional append on the device (so a serial is enrolled once at a time), then
 * issues the credential, clears the retained topics a previous enrollment left (§B.3 issue 285), stores
 * the inventory and tells the agent it follows no managed fleet yet.
 */
export async function enroll(ctx: InventoryContext, request: EnrollmentRequest, origin: EnrollmentOrigin): Promise<Enrollment> {
  let tenant = UNRESOLVED_TENANT;
  let invitationId: string | null = null;
  const refuse = async (reason: EnrollmentRefusal, message: string): Promise<never> => {
    ctx.metrics.enrollmentRefusals.inc({ reason });
    await ctx.bus.publish(EnrollmentRefused, { tenant, subjectId: invitationId ?? '_unknown', data: { reason, message, invitationId, serial: request.serial, remoteAddress: origin.remoteAddress } });
    throw new EnrollmentRefusedError(reason, message);
  };

  const found = await findInvitation(ctx, request.invitationToken);
  if (!found) return refuse('unknown-invitation', 'no invitation has this token');
  tenant = found.tenant;
  invitationId = found.invitation_id;
  const invitation = await loadInvitation(ctx, tenant, invitationId);
  if (!invitation) return refuse('unknown-invitation', 'no invitation has this token');
  if (invitation.status === 'canceled') return refuse('invitation-canceled', 'the invitation was canceled');
  if (invitation.status === 'done') return refuse('invitation-used', 'the invitation was already used to enroll a device');
  if (invitation.created.data.expiresAt.getTime() <= ctx.now().getTime()) return refuse('invitation-expired', `the invitation expired at ${invitation.created.data.expiresAt.toISOString()}`);
  if (request.email !== undefined && request.email.toLowerCase() !== invitation.created.data.email.toLowerCase()) return refuse('email-mismatch', 'the e-mail is not the one invited');
  if (compareVersions(request.version, ctx.settings.ENROLLMENT_MIN_AGENT_VERSION) < 0) {
    return refuse('unsupported-agent', `agent version ${request.version} is older than the oldest supported, ${ctx.settings.ENROLLMENT_MIN_AGENT_VERSION}`);
  }
  const reading = decodeEnrollmentInventory(request.inventory);
  if (reading.kind === 'invalid') return refuse('invalid-inventory', `the inventory cannot be read: ${reading.reason}`);
  const deviceId = request.serial;
  const device = await enrollmentOf(ctx, tenant, deviceId);
  if (device.enrolled) return refuse('serial-in-use', `a device with serial ${request.serial} is already enrolled; unenroll it first`);
  if (await usernameTaken(ctx, tenant, request.serial)) return refuse('serial-in-use', `serial ${request.serial} is already in use`);

  try {
    await ctx.bus.publish(InvitationAccepted, { tenant, subjectId: invitationId, data: { invitationId, deviceId } }, { expectedLastSubjectSequence: invitation.acceptedSeq });
  } catch (error) {
    if (error instanceof ConcurrencyError) return refuse('invitation-used', 'the invitation was already used to enroll a device');
    throw error;
  }
  const topic = `${tenant}/agent/${request.serial}`;
  const name = request.name ?? (reading.inventory.hardware.name || request.serial);
  try {
    await ctx.bus.publish(
      DeviceEnrolled,
      { tenant, subjectId: deviceId, data: { deviceId, dialect: 'flyve', serial: request.serial, type: request.type, agentVersion: request.version, email: invitation.created.data.email, invitationId, topic, fleet: null, name } },
      { expectedLastSubjectSequence: device.enrolledSeq },
    );
  } catch (error) {
    // Another enrollment of this serial won the race: give the invitation back.
    await ctx.bus.publish(InvitationReopened, { tenant, subjectId: invitationId, data: { invitationId, reason: 'enrollment did not complete' } });
    if (error instanceof ConcurrencyError) return refuse('serial-in-use', `a device with serial ${request.serial} is already enrolled; unenroll it first`);
    throw error;
  }
  await clearRetainedState(ctx, topic);
  await purgePendingCommands(ctx, tenant, deviceId);
  const password = await issueDeviceCredential(ctx, tenant, deviceId, request.serial, null, 'enrollment');
  const document = Buffer.from(request.inventory, 'base64').toString('utf8');
  await ctx.bus.publish(DeviceInventoryReported, {
    tenant,
    subjectId: deviceId,
    data: { deviceId, format: 'fusioninventory-xml', document, inventoryDeviceId: reading.inventory.deviceId, receivedAt: ctx.now() },
  });
  await ctx.bus.publish(DeviceCommandIssued, {
    tenant,
    subjectId: deviceId,
    data: { commandId: `enroll-subscribe-${invitationId}`, deviceId, command: { type: 'subscribe', topics: [null] }, expiresAt: null },
    id: `enroll-subscribe-${tenant}-${invitationId}`,
  });
  ctx.metrics.enrollments.inc();
  const s = ctx.settings;
  return { id: deviceId, tenant, name, topic, fleet: null, mqtt: { host: s.ENROLLMENT_MQTT_HOST, port: s.ENROLLMENT_MQTT_PORT ?? 1883, tls: s.ENROLLMENT_MQTT_TLS, username: request.serial, password } };
}
