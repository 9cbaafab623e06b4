import { EnrollmentRefused, UNRESOLVED_TENANT } from '@flotilla/contracts';
import { errorReplies, type ZodTypeProvider } from '@flotilla/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { InventoryContext } from '../context.js';
import { refuse } from '../http/replies.js';
import { enroll, EnrollmentRefusedError, type Enrollment } from './enroll.js';
import { EnrollmentRequest, normalizeEnrollmentBody } from './enrollment-request.js';

/** What an enrolled device is told; `satisfies` keeps it whole (the reply serializer drops undeclared fields). */
const Enrolled = z.object({
  id: z.string(),
  tenant: z.string(),
  name: z.string(),
  topic: z.string().describe('the device’s MQTT topic root, `<tenant>/agent/<serial>`'),
  fleet: z.string().nullable(),
  mqtt: z.object({ host: z.string(), port: z.number().int(), tls: z.boolean(), username: z.string(), password: z.string().describe('the device’s MQTT password, shown this once') }),
}) satisfies z.ZodType<Enrollment>;

const refusals = errorReplies({
  400: 'the request does not match the schema (including the serial `Unknown`): `invalid-request`, with every problem',
  403: 'the e-mail is not the invitation’s: `email-mismatch`',
  404: 'no invitation has this token: `unknown-invitation`',
  409: '`invitation-used`, or `serial-in-use` (enrolled, or another tenant’s or a manual credential holds it)',
  410: '`invitation-expired` or `invitation-canceled`',
  422: '`invalid-inventory` (not a FusionInventory XML in base64) or `unsupported-agent` (older than ENROLLMENT_MIN_AGENT_VERSION)',
});

/**
 * `POST /api/v1/enrollments`: a device enrolls with its invitation token (no operator key). The answer
 * carries its MQTT password once. Every refusal is a 4xx with the reason and is recorded as an event.
 */
export function enrollmentRoutes(ctx: InventoryContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.post(
      '/api/v1/enrollments',
      {
        bodyLimit: 8 * 1024 * 1024 + 4096,
        // A Flyve agent's own form ({"input":{"_invitation_token",…}}) is read as this API's before validation.
        preValidation: async (request) => {
          request.body = normalizeEnrollmentBody(request.body) as typeof request.body;
        },
        // An invalid request is refused here, as `invalid-request`, and recorded like every other refusal.
        attachValidation: true,
        schema: {
          tags: ['enrollment'],
          summary: 'Enrolls a device with its invitation token (no operator key)',
          description: 'A Flyve agent’s own body, `{"input":{"_invitation_token","_serial","_email","_uuid","version","type","inventory","notification_type"}}`, is accepted too. Every refusal is recorded (`GET /api/v1/enrollment-refusals`).',
          body: EnrollmentRequest,
          response: { 201: Enrolled.describe('enrolled: the MQTT credential, shown this once'), ...refusals },
        },
      },
      async (request, reply) => {
        if (request.validationError) {
          const { message } = request.validationError;
          ctx.metrics.enrollmentRefusals.inc({ reason: 'invalid-request' });
          const serial = (request.body as { serial?: unknown } | null | undefined)?.serial;
          await ctx.bus.publish(EnrollmentRefused, {
            tenant: UNRESOLVED_TENANT,
            subjectId: '_unknown',
            data: { reason: 'invalid-request', message: message.slice(0, 1000), invitationId: null, serial: typeof serial === 'string' ? serial.slice(0, 256) : null, remoteAddress: request.ip ?? null },
          });
          return refuse(reply, 400, 'invalid-request', message);
        }
        try {
          const enrollment = await enroll(ctx, request.body, { remoteAddress: request.ip ?? null });
          return reply.code(201).header('cache-control', 'no-store').send(enrollment);
        } catch (error) {
          if (error instanceof EnrollmentRefusedError) return refuse(reply, error.status, error.reason, error.message);
          throw error;
        }
      },
    );
  };
}
