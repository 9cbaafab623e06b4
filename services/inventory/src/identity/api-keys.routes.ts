import { OperatorRole } from '@flotilla/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { InventoryContext } from '../context.js';
import { parseOr400, refuse } from '../http/replies.js';
import { issueApiKey, revokeApiKey } from './api-keys.js';

const CreateBody = z.object({ name: z.string().min(1).max(200), role: OperatorRole });

/** `/api/v1/api-keys` (admins only) and `/api/v1/tenant`: the caller's tenant and its operator keys. */
export function apiKeyRoutes(ctx: InventoryContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/v1/tenant', async (request) => {
      const row = await ctx.db.selectFrom('tenants').selectAll().where('tenant', '=', request.tenant).executeTakeFirst();
      return { id: request.tenant, name: row?.name ?? request.tenant, createdAt: row?.created_at.toISOString() ?? null, role: request.role };
    });
    app.post('/api/v1/api-keys', { config: { role: 'admin' } }, async (request, reply) => {
      const body = parseOr400(reply, CreateBody, request.body);
      if (!body) return reply;
      const issued = await issueApiKey(ctx, request.tenant, body.name, body.role);
      return reply.code(201).header('cache-control', 'no-store').send({ id: issued.keyId, name: issued.name, role: issued.role, key: issued.key });
    });
    app.get('/api/v1/api-keys', { config: { role: 'admin' } }, async (request) => {
      const rows = await ctx.db.selectFrom('api_keys').selectAll().where('tenant', '=', request.tenant).orderBy('created_at').orderBy('key_id').execute();
      return { items: rows.map((r) => ({ id: r.key_id, name: r.name, role: r.role, revoked: r.revoked, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null })) };
    });
    app.delete<{ Params: { id: string } }>('/api/v1/api-keys/:id', { config: { role: 'admin' } }, async (request, reply) => {
      const { id } = request.params;
      if (!/^[a-z0-9]{12,32}$/.test(id) || !(await revokeApiKey(ctx, request.tenant, id))) return refuse(reply, 404, 'not_found', `no API key ${id}`);
      return reply.code(204).send();
    });
  };
}
