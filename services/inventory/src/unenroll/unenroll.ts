import { randomUUID } from 'node:crypto';
import { DeviceCommandIssued, DeviceEnrolled, DeviceUnenrolled, DeviceUnenrollRequested, isSafeSubjectToken } from '@flotilla/contracts';
import type { InventoryContext } from '../context.js';

/** Where a device is in its enrollment, from its own events. */
export interface EnrollmentState {
  status: 'never-enrolled' | 'enrolled' | 'unenrolling' | 'unenrolled';
  enrolled?: { seq: number; serial: string; topic: string };
  /** When the current unenroll request was made. */
  requestedAt?: Date;
  /** Sequence the next DeviceUnenrollRequested / DeviceUnenrolled append must expect. */
  requestedSeq: number;
  unenrolledSeq: number;
}

/** Reads a device's enrollment state from the DEVICES stream. */
export async function loadEnrollment(ctx: InventoryContext, tenant: string, deviceId: string): Promise<EnrollmentState> {
  if (!isSafeSubjectToken(deviceId)) return { status: 'never-enrolled', requestedSeq: 0, unenrolledSeq: 0 };
  const [enrolled, requested, unenrolled] = await Promise.all([
    ctx.bus.last(DeviceEnrolled, tenant, deviceId),
    ctx.bus.last(DeviceUnenrollRequested, tenant, deviceId),
    ctx.bus.last(DeviceUnenrolled, tenant, deviceId),
  ]);
  const requestedSeq = requested?.seq ?? 0;
  const unenrolledSeq = unenrolled?.seq ?? 0;
  if (!enrolled) return { status: 'never-enrolled', requestedSeq, unenrolledSeq };
  const current = { seq: enrolled.seq, serial: enrolled.event.data.serial, topic: enrolled.event.data.topic };
  if (unenrolledSeq > enrolled.seq) return { status: 'unenrolled', enrolled: current, requestedSeq, unenrolledSeq };
  if (requestedSeq > enrolled.seq) return { status: 'unenrolling', enrolled: current, requestedAt: requested!.event.occurredAt, requestedSeq, unenrolledSeq };
  return { status: 'enrolled', enrolled: current, requestedSeq, unenrolledSeq };
}

/** Outcome of an operator's unenroll request. */
export type UnenrollOutcome =
  | { kind: 'not-found' }
  | { kind: 'not-enrolled' }
  | { kind: 'requested'; commandId: string }
  | { kind: 'already-requested'; since: Date }
  | { kind: 'too-early'; forceAfter: Date }
  | { kind: 'forced' };

/**
 * Asks a device to unenroll (`Command/Unenroll`, the device becomes *unenrolling*), or, with `force`,
 * marks it unenrolled without its confirmation once it has been unenrolling for the configured time.
 */
export async function requestUnenroll(ctx: InventoryContext, tenant: string, deviceId: string, force: boolean): Promise<UnenrollOutcome> {
  const state = await loadEnrollment(ctx, tenant, deviceId);
  if (state.status === 'never-enrolled') return { kind: 'not-found' };
  if (state.status === 'unenrolled') return { kind: 'not-enrolled' };
  if (state.status === 'unenrolling') {
    if (!force) return { kind: 'already-requested', since: state.requestedAt! };
    const forceAfter = new Date(state.requestedAt!.getTime() + ctx.settings.UNENROLL_FORCE_AFTER_SECONDS * 1000);
    if (ctx.now().getTime() < forceAfter.getTime()) return { kind: 'too-early', forceAfter };
    await ctx.bus.publish(DeviceUnenrolled, { tenant, subjectId: deviceId, data: { deviceId, forced: true } }, { expectedLastSubjectSequence: state.unenrolledSeq });
    return { kind: 'forced' };
  }
  if (force) {
    const forceAfter = new Date(ctx.now().getTime() + ctx.settings.UNENROLL_FORCE_AFTER_SECONDS * 1000);
    if (ctx.settings.UNENROLL_FORCE_AFTER_SECONDS > 0) return { kind: 'too-early', forceAfter };
  }
  const commandId = randomUUID();
  // The request's time is what the force timeout counts from, on the service's clock.
  await ctx.bus.publish(DeviceUnenrollRequested, { tenant, subjectId: deviceId, data: { deviceId, commandId }, occurredAt: ctx.now() }, { expectedLastSubjectSequence: state.requestedSeq });
  await ctx.bus.publish(DeviceCommandIssued, { tenant, subjectId: deviceId, data: { commandId, deviceId, command: { type: 'unenroll' }, expiresAt: null }, id: commandId });
  if (force) {
    await ctx.bus.publish(DeviceUnenrolled, { tenant, subjectId: deviceId, data: { deviceId, forced: true } }, { expectedLastSubjectSequence: state.unenrolledSeq });
    return { kind: 'forced' };
  }
  return { kind: 'requested', commandId };
}
