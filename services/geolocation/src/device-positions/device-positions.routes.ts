import { errorReplies, type ZodTypeProvider } from '@flotilla/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { latestPosition, positionHistory } from './device-positions.queries.js';
import type { DevicePositionRow, GeoDatabase, PositionHistoryRow } from './device-positions.table.js';

const Query = z.object({
  from: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time' }).optional(),
  to: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time' }).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100).describe('most history fixes to answer, newest first'),
});
const Fix = z
  .object({
    lat: z.number(),
    lon: z.number(),
    accuracy: z.number().nullable().describe('metres'),
    altitude: z.number().nullable().describe('metres'),
    source: z.string().describe('the dialect it was reported in, e.g. flyve'),
    reportedAt: z.iso.datetime().describe('when the device took it'),
    receivedAt: z.iso.datetime().describe('when the gateway received it'),
  })
  .meta({ id: 'PositionFix' });
const Positions = z.object({ deviceId: z.string(), latest: Fix, history: z.array(Fix).describe('between from and to, newest first') });

function fix(row: DevicePositionRow | PositionHistoryRow): z.output<typeof Fix> {
  return {
    lat: row.lat,
    lon: row.lon,
    accuracy: row.accuracy,
    altitude: row.altitude,
    source: row.source,
    reportedAt: row.reported_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
  };
}

/** `GET /api/v1/devices/:id/positions`: the latest position and the history of one device of the caller's tenant. */
export function devicePositionsRoutes(db: Kysely<GeoDatabase>): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const schema = {
      tags: ['positions'],
      summary: 'The latest position and the history of a device',
      params: z.object({ id: z.string() }),
      querystring: Query,
      response: { 200: Positions.describe('the latest fix and the history'), ...errorReplies({ 404: 'no position of this device in the tenant: `not_found`' }) },
    };
    app.get('/api/v1/devices/:id/positions', { schema }, async (request, reply) => {
      const { query } = request;
      const { id } = request.params;
      const latest = await latestPosition(db, request.tenant, id);
      if (!latest) return reply.code(404).send({ error: 'not_found', message: `no positions for device ${id}` });
      const history = await positionHistory(db, request.tenant, id, {
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
        limit: query.limit,
      });
      return { deviceId: id, latest: fix(latest), history: history.map(fix) };
    });
  };
}
