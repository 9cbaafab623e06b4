import { z } from 'zod';

const Serial = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^/+#.*>\s\u0000-\u001f\u007f]+$/u, "a serial cannot contain '/', '+', '#', '.', '*', '>', whitespace or control characters")
  .refine((serial) => serial.toLowerCase() !== 'unknown', {
    message: 'serial "Unknown" is what Android 8+ reports without permission; several devices would share it (flyve-mdm.md §B.7): send the real serial',
  });

/** The fields of an enrollment, as this API names them. */
export const EnrollmentRequest = z.object({
  invitationToken: z.string().regex(/^[0-9a-f]{64}$/, 'expected the 64 hex characters of the invitation token'),
  /** The invited user's e-mail; when given it must be the invitation's. */
  email: z.email().max(254).optional(),
  serial: Serial,
  uuid: z.string().max(128).optional(),
  /** Agent platform, e.g. `android`. */
  type: z.string().min(1).max(64).regex(/^[a-z0-9_-]+$/i, 'expected a platform name such as android'),
  /** Agent version, semantic (`2.0.0`, `2.1.0-rc.1`). */
  version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'expected a semantic version such as 2.0.0'),
  /** base64 of the agent's FusionInventory XML. */
  inventory: z.string().min(1).max(8 * 1024 * 1024),
  name: z.string().min(1).max(256).optional(),
  notificationType: z.enum(['mqtt']).default('mqtt'),
});
/** One of {@link EnrollmentRequest}. */
export type EnrollmentRequest = z.output<typeof EnrollmentRequest>;

/**
 * Reads a body in this API's form or in a Flyve agent's form (`{"input":{"_email","_invitation_token",
 * "_serial","_uuid","version","type","inventory","notification_type",…}}`, flyve-mdm.md §B.3).
 */
export function normalizeEnrollmentBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('input' in body)) return body;
  const input = (body as { input: unknown }).input;
  if (typeof input !== 'object' || input === null) return body;
  const i = input as Record<string, unknown>;
  return {
    invitationToken: i._invitation_token,
    email: i._email,
    serial: i._serial,
    uuid: i._uuid || undefined,
    type: i.type,
    version: i.version,
    inventory: i.inventory,
    notificationType: i.notification_type || undefined,
  };
}

/** Compares two semantic versions by major.minor.patch; a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => {
    const [core = '', pre] = v.split(/-(.*)/s, 2);
    return { numbers: core.split('+')[0]!.split('.').map(Number), pre: pre !== undefined };
  };
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < 3; i++) {
    const diff = (x.numbers[i] ?? 0) - (y.numbers[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return x.pre === y.pre ? 0 : x.pre ? -1 : 1;
}
