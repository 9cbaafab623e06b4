import { randomUUID } from 'node:crypto';
import { DeviceCommandIssued } from '@flotilla/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { InventoryContext } from '../context.js';
import { issueDeviceCredential, revokeDeviceCredential } from '../enrollment/device-credentials.js';
import { parseOr400, refuse } from '../http/replies.js';
import { loadEnrollment, requestUnenroll } from '../unenroll/unenroll.js';
import { findDevice, listDevices, SORTS, sortValue, type DeviceSort } from './registry.queries.js';
import type { DeviceRow } from './registry.table.js';

const Cursor = z.object({ v: z.string(), d: z.string() });
const encodeCursor = (value: string, deviceId: string) => Buffer.from(JSON.stringify({ v: value, d: deviceId })).toString('base64url');
const ListQuery = z.object({
  status: z.enum(['enrolled', 'unenrolling', 'unenrolled', 'unregistered']).optional(),
  online: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  fleet: z.string().min(1).optional(),
  dialect: z.enum(['flyve', 'thingsboard', 'watson']).optional(),
  q: z.string().min(1).max(100).optional(),
  sort: z.enum(Object.keys(SORTS) as [DeviceSort, ...DeviceSort[]]).default('serial'),
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .transform((value, ctx) => {
      try {
        return Cursor.parse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not a cursor this API returned' });
        return z.NEVER;
      }
    })
    .optional(),
});
const UnenrollBody = z.object({ force: z.boolean().default(false) }).default({ force: false });
const COMMAND_TTL_MS = 24 * 3600 * 1000;

/** A device as the API shows it. */
export function deviceView(row: DeviceRow) {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    id: row.device_id,
    dialect: row.dialect,
    serial: row.serial,
    name: row.name,
    type: row.type,
    agentVersion: row.agent_version,
    email: row.email,
    fleet: row.fleet,
    topic: row.topic,
    enrollmentStatus: row.enrollment_status,
    enrolledAt: iso(row.enrolled_at),
    unenrollRequestedAt: iso(row.unenroll_requested_at),
    unenrolledAt: iso(row.unenrolled_at),
    online: row.online,
    lastSeenAt: iso(row.last_seen_at),
  };
}

/** `/api/v1/devices`: the registry (list, detail) and per-device requests (unenroll, inventory, credentials). */
export function registryRoutes(ctx: InventoryContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/v1/devices', async (request, reply) => {
      const query = parseOr400(reply, ListQuery, request.query);
      if (!query) return reply;
      const rows = await listDevices(ctx.db, request.tenant, { ...query, after: query.cursor ? { value: query.cursor.v, deviceId: query.cursor.d } : undefined });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { items: page.map(deviceView), nextCursor: rows.length > query.limit && last ? encodeCursor(sortValue(last, query.sort), last.device_id) : null };
    });

    app.get<{ Params: { id: string } }>('/api/v1/devices/:id', async (request, reply) => {
      const row = await findDevice(ctx.db, request.tenant, request.params.id);
      return row ? deviceView(row) : refuse(reply, 404, 'not_found', `no device ${request.params.id}`);
    });

    app.post<{ Params: { id: string } }>('/api/v1/devices/:id/unenroll', async (request, reply) => {
      const body = parseOr400(reply, UnenrollBody, request.body);
      if (!body) return reply;
      const { id } = request.params;
      const outcome = await requestUnenroll(ctx, request.tenant, id, body.force);
      switch (outcome.kind) {
        case 'not-found':
          return refuse(reply, 404, 'not_found', `no enrolled device ${id}`);
        case 'not-enrolled':
          return refuse(reply, 409, 'conflict', `device ${id} is already unenrolled`);
        case 'already-requested':
          return refuse(reply, 409, 'conflict', `device ${id} has been unenrolling since ${outcome.since.toISOString()}; send {"force":true} to finish without its confirmation`);
        case 'too-early':
          return refuse(reply, 409, 'conflict', `device ${id} may be forced out from ${outcome.forceAfter.toISOString()}, when it has had time to confirm`);
        case 'requested':
          return reply.code(202).send({ id, enrollmentStatus: 'unenrolling', commandId: outcome.commandId });
        case 'forced':
          return reply.code(200).send({ id, enrollmentStatus: 'unenrolled' });
      }
    });

    app.post<{ Params: { id: string } }>('/api/v1/devices/:id/inventory-requests', async (request, reply) => {
      const { id } = request.params;
      const state = await loadEnrollment(ctx, request.tenant, id);
      if (state.status !== 'enrolled') return refuse(reply, 404, 'not_found', `no enrolled device ${id}`);
      const commandId = randomUUID();
      const expiresAt = new Date(ctx.now().getTime() + COMMAND_TTL_MS);
      await ctx.bus.publish(DeviceCommandIssued, { tenant: request.tenant, subjectId: id, data: { commandId, deviceId: id, command: { type: 'inventory' }, expiresAt }, id: commandId });
      return reply.code(202).send({ commandId, expiresAt: expiresAt.toISOString() });
    });

    app.post<{ Params: { id: string } }>('/api/v1/devices/:id/credentials', async (request, reply) => {
      const { id } = request.params;
      const state = await loadEnrollment(ctx, request.tenant, id);
      if (state.status !== 'enrolled' || !state.enrolled) return refuse(reply, 404, 'not_found', `no enrolled device ${id}`);
      const row = await findDevice(ctx.db, request.tenant, id);
      const password = await issueDeviceCredential(ctx, request.tenant, id, state.enrolled.serial, row?.fleet ?? null, 'rotation');
      return reply.code(201).header('cache-control', 'no-store').send({ id, username: state.enrolled.serial, password });
    });

    app.delete<{ Params: { id: string } }>('/api/v1/devices/:id/credentials', async (request, reply) => {
      const { id } = request.params;
      const state = await loadEnrollment(ctx, request.tenant, id);
      if (!state.enrolled || state.status === 'unenrolled') return refuse(reply, 404, 'not_found', `no enrolled device ${id}`);
      await revokeDeviceCredential(ctx, request.tenant, id, state.enrolled.serial, 'operator');
      return reply.code(204).send();
    });
  };
}
