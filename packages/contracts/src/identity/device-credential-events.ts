import { z } from 'zod';
import { CredentialKind, CredentialSecret } from '../credentials/device-credential.js';
import { Dialect } from '../devices/dialect.js';
import { defineEvent, type EventOf } from '../envelope.js';
import { SubjectToken } from '../subject-token.js';

/**
 * A device received a credential: at enrollment or on rotation. Only the digest is kept. The
 * `device-credentials` KV record the gateway reads is projected from these events.
 * Subject `identity.<tenant>.<deviceId>.DeviceCredentialIssued`.
 */
export const DeviceCredentialIssued = defineEvent(
  'DeviceCredentialIssued',
  { version: 1, context: 'identity' },
  z.object({
    deviceId: SubjectToken,
    dialect: Dialect,
    kind: CredentialKind,
    /** The username the device logs in with (Flyve: its serial). */
    username: z.string().min(1),
    secret: CredentialSecret,
    fleet: SubjectToken.nullable(),
    reason: z.enum(['enrollment', 'rotation']),
  }),
);
/** Envelope of {@link DeviceCredentialIssued}. */
export type DeviceCredentialIssued = EventOf<typeof DeviceCredentialIssued>;

/** A device's credential stops working; a connected device is disconnected (MQTT 5 reason 0x98). */
export const DeviceCredentialRevoked = defineEvent(
  'DeviceCredentialRevoked',
  { version: 1, context: 'identity' },
  z.object({ deviceId: SubjectToken, username: z.string().min(1), reason: z.enum(['unenrolled', 'operator']) }),
);
/** Envelope of {@link DeviceCredentialRevoked}. */
export type DeviceCredentialRevoked = EventOf<typeof DeviceCredentialRevoked>;
