import { OperatorRole } from '@flotilla/contracts';
import { errorReplies, type ZodTypeProvider } from '@flotilla/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { InventoryContext } from '../context.js';
import { refuse } from '../http/replies.js';
import { issueApiKey, revokeApiKey } from './api-keys.js';

const CreateBody = z.object({ name: z.string().min(1).max(200), role: OperatorRole });
const IssuedKey = z.object({ id: z.string(), name: z.string(), role: OperatorRole, key: z.string().describe('the key itself, shown this once') });
const ApiKey = z
  .object({ id: z.string(), name: z.string(), role: OperatorRole, revoked: z.boolean(), createdAt: z.iso.datetime(), revokedAt: z.iso.datetime().nullable() })
  .meta({ id: 'ApiKey' });
const Tenant = z.object({ id: z.string(), name: z.string(), createdAt: z.iso.datetime().nullable(), role: OperatorRole.describe('the role of the key that asks') });
const tags = ['tenant and API keys'];

/** `/api/v1/api-keys` (admins only) and `/api/v1/tenant`: the caller's tenant and its operator keys. */
export function apiKeyRoutes(ctx: InventoryContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.get('/api/v1/tenant', { schema: { tags, summary: 'The tenant of the key, and its role', response: { 200: Tenant.describe('the tenant') } } }, async (request) => {
      const row = await ctx.db.selectFrom('tenants').selectAll().where('tenant', '=', request.tenant).executeTakeFirst();
      return { id: request.tenant, name: row?.name ?? request.tenant, createdAt: row?.created_at.toISOString() ?? null, role: request.role };
    });
    app.post(
      '/api/v1/api-keys',
      { config: { role: 'admin' }, schema: { tags, summary: 'Issues an operator API key (shown once)', body: CreateBody, response: { 201: IssuedKey.describe('the key, usable at once') } } },
      async (request, reply) => {
        const issued = await issueApiKey(ctx, request.tenant, request.body.name, request.body.role);
        return reply.code(201).header('cache-control', 'no-store').send({ id: issued.keyId, name: issued.name, role: issued.role, key: issued.key });
      },
    );
    app.get(
      '/api/v1/api-keys',
      { config: { role: 'admin' }, schema: { tags, summary: 'Lists the tenant’s API keys (without secrets)', response: { 200: z.object({ items: z.array(ApiKey) }).describe('every key, oldest first') } } },
      async (request) => {
        const rows = await ctx.db.selectFrom('api_keys').selectAll().where('tenant', '=', request.tenant).orderBy('created_at').orderBy('key_id').execute();
        // The projection stores only roles its events carried, and those are OperatorRole values.
        return { items: rows.map((r) => ({ id: r.key_id, name: r.name, role: r.role as OperatorRole, revoked: r.revoked, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null })) };
      },
    );
    app.delete(
      '/api/v1/api-keys/:id',
      {
        config: { role: 'admin' },
        schema: { tags, summary: 'Revokes an API key (at once, everywhere)', params: z.object({ id: z.string() }), response: { 204: z.undefined().describe('revoked'), ...errorReplies({ 404: 'no such key in the tenant: `not_found`' }) } },
      },
      async (request, reply) => {
        const { id } = request.params;
        if (!/^[a-z0-9]{12,32}$/.test(id) || !(await revokeApiKey(ctx, request.tenant, id))) return refuse(reply, 404, 'not_found', `no API key ${id}`);
        return reply.code(204).send();
      },
    );
  };
}
