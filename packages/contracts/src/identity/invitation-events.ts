import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope.js';

/**
 * An operator invited a user to enroll a device (flyve-mdm.md §B.3). The 64-hex token is shown once; the
 * event keeps its SHA-256. Subject `identity.<tenant>.<invitationId>.InvitationCreated`.
 */
export const InvitationCreated = defineEvent(
  'InvitationCreated',
  { version: 1, context: 'identity' },
  z.object({
    invitationId: z.string().min(1),
    email: z.email().max(254),
    tokenDigest: z.string().regex(/^[0-9a-f]{64}$/),
    expiresAt: z.coerce.date(),
  }),
);
/** Envelope of {@link InvitationCreated}. */
export type InvitationCreated = EventOf<typeof InvitationCreated>;

/**
 * A device enrolled with the invitation. Appended with "no earlier acceptance" as its condition, so an
 * invitation is used once even when two devices race. Subject `identity.<tenant>.<invitationId>.InvitationAccepted`.
 */
export const InvitationAccepted = defineEvent('InvitationAccepted', { version: 1, context: 'identity' }, z.object({ invitationId: z.string().min(1), deviceId: z.string().min(1) }));
/** Envelope of {@link InvitationAccepted}. */
export type InvitationAccepted = EventOf<typeof InvitationAccepted>;

/** An acceptance was undone because the enrollment could not complete; the invitation is pending again. */
export const InvitationReopened = defineEvent('InvitationReopened', { version: 1, context: 'identity' }, z.object({ invitationId: z.string().min(1), reason: z.string().min(1) }));
/** Envelope of {@link InvitationReopened}. */
export type InvitationReopened = EventOf<typeof InvitationReopened>;

/** An operator withdrew a pending invitation. */
export const InvitationCanceled = defineEvent('InvitationCanceled', { version: 1, context: 'identity' }, z.object({ invitationId: z.string().min(1) }));
/** Envelope of {@link InvitationCanceled}. */
export type InvitationCanceled = EventOf<typeof InvitationCanceled>;

/** Why an enrollment was refused (each is a 4xx to the device). */
export const EnrollmentRefusal = z.enum([
  'unknown-invitation',
  'invitation-expired',
  'invitation-used',
  'invitation-canceled',
  'email-mismatch',
  'invalid-request',
  'invalid-inventory',
  'unsupported-agent',
  'serial-in-use',
]);
/** One of {@link EnrollmentRefusal}. */
export type EnrollmentRefusal = z.infer<typeof EnrollmentRefusal>;

/** Tenant under which refusals that name no known invitation are recorded. */
export const UNRESOLVED_TENANT = '_unresolved';

/**
 * An enrollment request was refused. Subject `identity.<tenant>.<invitationId | _unknown>.EnrollmentRefused`
 * (tenant {@link UNRESOLVED_TENANT} when the token matches no invitation).
 */
export const EnrollmentRefused = defineEvent(
  'EnrollmentRefused',
  { version: 1, context: 'identity' },
  z.object({
    reason: EnrollmentRefusal,
    message: z.string().min(1).max(1000),
    invitationId: z.string().min(1).nullable(),
    serial: z.string().max(256).nullable(),
    remoteAddress: z.string().nullable(),
  }),
);
/** Envelope of {@link EnrollmentRefused}. */
export type EnrollmentRefused = EventOf<typeof EnrollmentRefused>;
