import { EnrollmentRefusal } from '@flotilla/contracts';
import { errorReplies, type ZodTypeProvider } from '@flotilla/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { InventoryContext } from '../context.js';
import { refuse } from '../http/replies.js';
import type { InvitationRow } from '../identity/identity.table.js';
import { cancelInvitation, createInvitation, type CreatedInvitation as Created } from './invitations.js';

const InvitationStatus = z.enum(['pending', 'done', 'canceled', 'expired']);
const CreateBody = z.object({
  email: z.email({ message: 'expected an e-mail address' }).max(254),
  ttlDays: z.number().min(1 / 86_400).max(365).optional().describe('days the invitation stays valid (at least a second); the configured default otherwise'),
});
const ListQuery = z.object({ status: InvitationStatus.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });
const Invitation = z
  .object({ id: z.string(), email: z.string(), status: InvitationStatus, deviceId: z.string().nullable(), expiresAt: z.iso.datetime(), createdAt: z.iso.datetime() })
  .meta({ id: 'Invitation' });
const CreatedInvitation = z.object({
  id: z.string(),
  email: z.string(),
  token: z.string().describe('the invitation token (64 hex), shown this once'),
  status: z.literal('pending'),
  expiresAt: z.iso.datetime(),
  deeplinkPayload: z.string().describe('base64 of `url\\;user_token\\;invitation_token\\;support name\\;phone\\;website\\;e-mail` (Flyve QR code)'),
  deeplink: z.string().describe('`flyvemdm://register?data=` and the payload'),
}) satisfies z.ZodType<Created>; // whole: the reply serializer drops undeclared fields
const Refusal = z.object({ invitationId: z.string().nullable(), serial: z.string().nullable(), reason: EnrollmentRefusal, message: z.string(), remoteAddress: z.string().nullable(), occurredAt: z.iso.datetime() });
const Id = z.object({ id: z.string() });
const tags = ['invitations'];
const notFound = errorReplies({ 404: 'no such invitation in the tenant: `not_found`' });

function view(row: InvitationRow, now: Date) {
  const expired = row.status === 'pending' && row.expires_at.getTime() <= now.getTime();
  // The projection stores pending, done or canceled; expiry is read against the clock.
  const status = (expired ? 'expired' : row.status) as z.output<typeof InvitationStatus>;
  return { id: row.invitation_id, email: row.email, status, deviceId: row.device_id, expiresAt: row.expires_at.toISOString(), createdAt: row.created_at.toISOString() };
}

/** `/api/v1/invitations`: invite a user to enroll a device, list, read and cancel invitations of the caller's tenant. */
export function invitationRoutes(ctx: InventoryContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.post(
      '/api/v1/invitations',
      { schema: { tags, summary: 'Invites a user to enroll a device', body: CreateBody, response: { 201: CreatedInvitation.describe('the invitation, with its token and deeplink') } } },
      async (request, reply) => reply.code(201).send(await createInvitation(ctx, request.tenant, request.body.email, request.body.ttlDays)),
    );
    app.get(
      '/api/v1/invitations',
      { schema: { tags, summary: 'Lists the tenant’s invitations, newest first', querystring: ListQuery, response: { 200: z.object({ items: z.array(Invitation) }).describe('the invitations') } } },
      async (request) => {
        const { query } = request;
        const now = ctx.now();
        let select = ctx.db.selectFrom('invitations').selectAll().where('tenant', '=', request.tenant);
        if (query.status === 'expired') select = select.where('status', '=', 'pending').where('expires_at', '<=', now);
        else if (query.status === 'pending') select = select.where('status', '=', 'pending').where('expires_at', '>', now);
        else if (query.status) select = select.where('status', '=', query.status);
        const rows = await select.orderBy('created_at', 'desc').orderBy('invitation_id').limit(query.limit).execute();
        return { items: rows.map((row) => view(row, now)) };
      },
    );
    app.get('/api/v1/invitations/:id', { schema: { tags, summary: 'Reads an invitation', params: Id, response: { 200: Invitation.describe('the invitation'), ...notFound } } }, async (request, reply) => {
      const row = await ctx.db.selectFrom('invitations').selectAll().where('tenant', '=', request.tenant).where('invitation_id', '=', request.params.id).executeTakeFirst();
      return row ? view(row, ctx.now()) : refuse(reply, 404, 'not_found', `no invitation ${request.params.id}`);
    });
    app.get(
      '/api/v1/enrollment-refusals',
      {
        schema: {
          tags: ['enrollment'],
          summary: 'Lists the tenant’s refused enrollments, newest first',
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
          response: { 200: z.object({ items: z.array(Refusal) }).describe('the refusals') },
        },
      },
      async (request) => {
        const rows = await ctx.db.selectFrom('enrollment_refusals').selectAll().where('tenant', '=', request.tenant).orderBy('seq', 'desc').limit(request.query.limit).execute();
        return {
          // The projection stores the reasons of EnrollmentRefused events, which are EnrollmentRefusal values.
          items: rows.map((r) => ({ invitationId: r.invitation_id, serial: r.serial, reason: r.reason as EnrollmentRefusal, message: r.message, remoteAddress: r.remote_address, occurredAt: r.occurred_at.toISOString() })),
        };
      },
    );
    app.delete(
      '/api/v1/invitations/:id',
      {
        schema: {
          tags,
          summary: 'Cancels a pending invitation',
          params: Id,
          response: { 204: z.undefined().describe('canceled'), ...notFound, ...errorReplies({ 409: 'the invitation is no longer pending: `conflict`' }) },
        },
      },
      async (request, reply) => {
        const outcome = await cancelInvitation(ctx, request.tenant, request.params.id);
        if (outcome === 'not-found') return refuse(reply, 404, 'not_found', `no invitation ${request.params.id}`);
        if (outcome === 'not-pending') return refuse(reply, 409, 'conflict', `invitation ${request.params.id} is no longer pending`);
        return reply.code(204).send();
      },
    );
  };
}
