import { EnrollmentRefused, UNRESOLVED_TENANT } from '@flotilla/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { InventoryContext } from '../context.js';
import { refuse } from '../http/replies.js';
import { enroll, EnrollmentRefusedError } from './enroll.js';
import { EnrollmentRequest, normalizeEnrollmentBody } from './enrollment-request.js';

/**
 * `POST /api/v1/enrollments`: a device enrolls with its invitation token (no operator key). The answer
 * carries its MQTT password once. Every refusal is a 4xx with the reason and is recorded as an event.
 */
export function enrollmentRoutes(ctx: InventoryContext): FastifyPluginAsync {
  return async (app) => {
    app.post('/api/v1/enrollments', { bodyLimit: 8 * 1024 * 1024 + 4096 }, async (request, reply) => {
      const parsed = EnrollmentRequest.safeParse(normalizeEnrollmentBody(request.body));
      if (!parsed.success) {
        const message = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
        ctx.metrics.enrollmentRefusals.inc({ reason: 'invalid-request' });
        const serial = (normalizeEnrollmentBody(request.body) as { serial?: unknown } | undefined)?.serial;
        await ctx.bus.publish(EnrollmentRefused, {
          tenant: UNRESOLVED_TENANT,
          subjectId: '_unknown',
          data: { reason: 'invalid-request', message: message.slice(0, 1000), invitationId: null, serial: typeof serial === 'string' ? serial.slice(0, 256) : null, remoteAddress: request.ip ?? null },
        });
        return refuse(reply, 400, 'invalid-request', message);
      }
      try {
        const enrollment = await enroll(ctx, parsed.data, { remoteAddress: request.ip ?? null });
        return reply.code(201).header('cache-control', 'no-store').send(enrollment);
      } catch (error) {
        if (error instanceof EnrollmentRefusedError) return refuse(reply, error.status, error.reason, error.message);
        throw error;
      }
    });
  };
}
