import { randomUUID } from 'node:crypto';
import { DeviceCommandIssued } from '@flotilla/contracts';
import { errorReplies, type ZodTypeProvider } from '@flotilla/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { InventoryContext } from '../context.js';
import { issueDeviceCredential, revokeDeviceCredential } from '../enrollment/device-credentials.js';
import { refuse } from '../http/replies.js';
import { loadEnrollment, requestUnenroll } from '../unenroll/unenroll.js';
import { findDevice, listDevices, SORTS, sortValue, type DeviceSort } from './registry.queries.js';
import type { DeviceRow } from './registry.table.js';

const Cursor = z.object({ v: z.string(), d: z.string() });
const encodeCursor = (value: string, deviceId: string) => Buffer.from(JSON.stringify({ v: value, d: deviceId })).toString('base64url');
const ListQuery = z.object({
  status: z.enum(['enrolled', 'unenrolling', 'unenrolled', 'unregistered']).optional(),
  online: z.enum(['true', 'false']).transform((v) => v === 'true').optional().describe('connected to the gateway now'),
  fleet: z.string().min(1).optional(),
  dialect: z.enum(['flyve', 'thingsboard', 'watson']).optional(),
  q: z.string().min(1).max(100).optional().describe('a substring of serial, name, e-mail or id (any case)'),
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
    .optional()
    .describe('`nextCursor` of the previous page, with the same filters and sort'),
});
const UnenrollBody = z
  .object({ force: z.boolean().default(false).describe('finish without the device once it has been unenrolling for UNENROLL_FORCE_AFTER_SECONDS') })
  .default({ force: false });
const Device = z
  .object({
    id: z.string(),
    dialect: z.string().nullable().describe('flyve, thingsboard or watson; null until the gateway has seen the device'),
    serial: z.string().nullable(),
    name: z.string().nullable(),
    type: z.string().nullable().describe('agent platform, e.g. android'),
    agentVersion: z.string().nullable(),
    email: z.string().nullable(),
    fleet: z.string().nullable(),
    topic: z.string().nullable(),
    enrollmentStatus: z.enum(['enrolled', 'unenrolling', 'unenrolled', 'unregistered']),
    enrolledAt: z.iso.datetime().nullable(),
    unenrollRequestedAt: z.iso.datetime().nullable(),
    unenrolledAt: z.iso.datetime().nullable(),
    online: z.boolean(),
    lastSeenAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Device' });
const DeviceList = z.object({ items: z.array(Device), nextCursor: z.string().nullable().describe('`cursor` of the next page; null on the last') });
const Unenrolled = z.object({ id: z.string(), enrollmentStatus: z.literal('unenrolled') });
const Unenrolling = z.object({ id: z.string(), enrollmentStatus: z.literal('unenrolling'), commandId: z.string() });
const InventoryRequested = z.object({ commandId: z.string(), expiresAt: z.iso.datetime() });
const Credential = z.object({ id: z.string(), username: z.string(), password: z.string().describe('the new MQTT password, shown this once') });
const Id = z.object({ id: z.string() });
const COMMAND_TTL_MS = 24 * 3600 * 1000;
const tags = ['devices'];
const notEnrolled = errorReplies({ 404: 'no enrolled device with this id in the tenant: `not_found`' });
const unenrollReplies = {
  200: Unenrolled.describe('forced: the device is unenrolled'),
  202: Unenrolling.describe('the device was sent Command/Unenroll; its confirmation finishes it'),
  ...notEnrolled,
  ...errorReplies({ 409: 'already unenrolled, already unenrolling (without force), or too early to force: `conflict`' }),
};

/** A device as the API shows it. */
export function deviceView(row: DeviceRow): z.output<typeof Device> {
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
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.get('/api/v1/devices', { schema: { tags, summary: 'Lists, filters, searches and sorts the tenant’s devices, a page at a time', querystring: ListQuery, response: { 200: DeviceList.describe('a page of devices') } } }, async (request) => {
      const { query } = request;
      const rows = await listDevices(ctx.db, request.tenant, { ...query, after: query.cursor ? { value: query.cursor.v, deviceId: query.cursor.d } : undefined });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { items: page.map(deviceView), nextCursor: rows.length > query.limit && last ? encodeCursor(sortValue(last, query.sort), last.device_id) : null };
    });

    app.get('/api/v1/devices/:id', { schema: { tags, summary: 'Reads a device', params: Id, response: { 200: Device.describe('the device'), ...errorReplies({ 404: 'no such device in the tenant: `not_found`' }) } } }, async (request, reply) => {
      const row = await findDevice(ctx.db, request.tenant, request.params.id);
      return row ? deviceView(row) : refuse(reply, 404, 'not_found', `no device ${request.params.id}`);
    });

    app.post('/api/v1/devices/:id/unenroll', { schema: { tags, summary: 'Unenrolls a device', params: Id, body: UnenrollBody, response: unenrollReplies } }, async (request, reply) => {
      const { body } = request;
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

    const inventoryRequested = InventoryRequested.describe('Command/Inventory is queued for a day; the answer is stored');
    app.post('/api/v1/devices/:id/inventory-requests', { schema: { tags, summary: 'Asks a device for its inventory', params: Id, response: { 202: inventoryRequested, ...notEnrolled } } }, async (request, reply) => {
      const { id } = request.params;
      const state = await loadEnrollment(ctx, request.tenant, id);
      if (state.status !== 'enrolled') return refuse(reply, 404, 'not_found', `no enrolled device ${id}`);
      const commandId = randomUUID();
      const expiresAt = new Date(ctx.now().getTime() + COMMAND_TTL_MS);
      await ctx.bus.publish(DeviceCommandIssued, { tenant: request.tenant, subjectId: id, data: { commandId, deviceId: id, command: { type: 'inventory' }, expiresAt }, id: commandId });
      return reply.code(202).send({ commandId, expiresAt: expiresAt.toISOString() });
    });

    app.post('/api/v1/devices/:id/credentials', { schema: { tags, summary: 'Issues a device a new MQTT password', params: Id, response: { 201: Credential.describe('the new credential; the old one stops working at once'), ...notEnrolled } } }, async (request, reply) => {
      const { id } = request.params;
      const state = await loadEnrollment(ctx, request.tenant, id);
      if (state.status !== 'enrolled' || !state.enrolled) return refuse(reply, 404, 'not_found', `no enrolled device ${id}`);
      const row = await findDevice(ctx.db, request.tenant, id);
      const password = await issueDeviceCredential(ctx, request.tenant, id, state.enrolled.serial, row?.fleet ?? null, 'rotation');
      return reply.code(201).header('cache-control', 'no-store').send({ id, username: state.enrolled.serial, password });
    });

    app.delete('/api/v1/devices/:id/credentials', { schema: { tags, summary: 'Revokes a device’s credential', params: Id, response: { 204: z.undefined().describe('revoked; a connected device is disconnected'), ...notEnrolled } } }, async (request, reply) => {
      const { id } = request.params;
      const state = await loadEnrollment(ctx, request.tenant, id);
      if (!state.enrolled || state.status === 'unenrolled') return refuse(reply, 404, 'not_found', `no enrolled device ${id}`);
      await revokeDeviceCredential(ctx, request.tenant, id, state.enrolled.serial, 'operator');
      return reply.code(204).send();
    });
  };
}
