import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { InventoryContext } from '../context.js';
import { parseOr400, refuse } from '../http/replies.js';
import type { InvitationRow } from '../identity/identity.table.js';
import { cancelInvitation, createInvitation } from './invitations.js';

const CreateBody = z.object({
  email: z.email({ message: 'expected an e-mail address' }).max(254),
  /** Days the invitation stays valid (at least a second); the configured default otherwise. */
  ttlDays: z.number().min(1 / 86_400).max(365).optional(),
});
const ListQuery = z.object({ status: z.enum(['pending', 'done', 'canceled', 'expired']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });

function view(row: InvitationRow, now: Date) {
  const expired = row.status === 'pending' && row.expires_at.getTime() <= now.getTime();
  return { id: row.invitation_id, email: row.email, status: expired ? 'expired' : row.status, deviceId: row.device_id, expiresAt: row.expires_at.toISOString(), createdAt: row.created_at.toISOString() };
}

/** `/api/v1/invitations`: invite a user to enroll a device, list, read and cancel invitations of the caller's tenant. */
export function invitationRoutes(ctx: InventoryContext): FastifyPluginAsync {
  return async (app) => {
    app.post('/api/v1/invitations', async (request, reply) => {
      const body = parseOr400(reply, CreateBody, request.body);
      if (!body) return reply;
      return reply.code(201).send(await createInvitation(ctx, request.tenant, body.email, body.ttlDays));
    });
    app.get('/api/v1/invitations', async (request, reply) => {
      const query = parseOr400(reply, ListQuery, request.query);
      if (!query) return reply;
      const now = ctx.now();
      let select = ctx.db.selectFrom('invitations').selectAll().where('tenant', '=', request.tenant);
      if (query.status === 'expired') select = select.where('status', '=', 'pending').where('expires_at', '<=', now);
      else if (query.status === 'pending') select = select.where('status', '=', 'pending').where('expires_at', '>', now);
      else if (query.status) select = select.where('status', '=', query.status);
      const rows = await select.orderBy('created_at', 'desc').orderBy('invitation_id').limit(query.limit).execute();
      return { items: rows.map((row) => view(row, now)) };
    });
    app.get<{ Params: { id: string } }>('/api/v1/invitations/:id', async (request, reply) => {
      const row = await ctx.db.selectFrom('invitations').selectAll().where('tenant', '=', request.tenant).where('invitation_id', '=', request.params.id).executeTakeFirst();
      return row ? view(row, ctx.now()) : refuse(reply, 404, 'not_found', `no invitation ${request.params.id}`);
    });
    app.get('/api/v1/enrollment-refusals', async (request, reply) => {
      const query = parseOr400(reply, z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }), request.query);
      if (!query) return reply;
      const rows = await ctx.db.selectFrom('enrollment_refusals').selectAll().where('tenant', '=', request.tenant).orderBy('seq', 'desc').limit(query.limit).execute();
      return {
        items: rows.map((r) => ({ invitationId: r.invitation_id, serial: r.serial, reason: r.reason, message: r.message, remoteAddress: r.remote_address, occurredAt: r.occurred_at.toISOString() })),
      };
    });
    app.delete<{ Params: { id: string } }>('/api/v1/invitations/:id', async (request, reply) => {
      const outcome = await cancelInvitation(ctx, request.tenant, request.params.id);
      if (outcome === 'not-found') return refuse(reply, 404, 'not_found', `no invitation ${request.params.id}`);
      if (outcome === 'not-pending') return refuse(reply, 409, 'conflict', `invitation ${request.params.id} is no longer pending`);
      return reply.code(204).send();
    });
  };
}
