import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { latestPosition, positionHistory } from './device-positions.queries.js';
import type { DevicePositionRow, GeoDatabase, PositionHistoryRow } from './device-positions.table.js';

const Query = z.object({
  from: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time' }).optional(),
  to: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time' }).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

function fix(row: DevicePositionRow | PositionHistoryRow) {
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
  return async (app) => {
    app.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/api/v1/devices/:id/positions', async (request, reply) => {
      const query = Query.safeParse(request.query);
      if (!query.success) {
        return reply.code(400).send({ error: 'bad_request', message: query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      }
      const { id } = request.params;
      const latest = await latestPosition(db, request.tenant, id);
      if (!latest) return reply.code(404).send({ error: 'not_found', message: `no positions for device ${id}` });
      const history = await positionHistory(db, request.tenant, id, {
        from: query.data.from ? new Date(query.data.from) : undefined,
        to: query.data.to ? new Date(query.data.to) : undefined,
        limit: query.data.limit,
      });
      return { deviceId: id, latest: fix(latest), history: history.map(fix) };
    });
  };
}
