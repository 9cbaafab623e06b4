/**
 * Projection throughput of the inventory registry: a stream of N device events (default 200,000:
 * enrollments, connections, disconnections, pings, online reports, task statuses, for 20,000 devices)
 * is stored in a fresh namespace first, then the `inventory-registry` projection is run over it from
 * sequence 1 into a fresh schema, and timed until it has caught up. Prints the figure and writes
 * `results/registry-projection.json`. Not a test: it never fails on timing.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTestBus } from '@flotilla/bus/testing';
import { DeviceConnected, DeviceDisconnected, DeviceEnrolled, DeviceOnlineReported, DevicePinged, DeviceTaskStatusReported } from '@flotilla/contracts';
import { createDb, dropSchema, ensureDatabase, ensureSchema, migrateToLatest } from '@flotilla/db';
import { inventoryProjections, migrations } from '@flotilla/inventory';
import type { Kysely } from 'kysely';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: process.env.BENCH_EVENTS ?? '200000' },
    devices: { type: 'string', default: process.env.BENCH_DEVICES ?? '20000' },
    'nats-url': { type: 'string', default: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flotilla' },
    'batch-size': { type: 'string', default: '500' },
    out: { type: 'string', default: 'results/registry-projection.json' },
  },
});
const total = Number(values.events);
const devices = Number(values.devices);
const batchSize = Number(values['batch-size']);
const tenant = 'bench';
const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000);

/** The i-th event of the stream: each device enrolls first, then reports in a fixed rotation. */
function eventAt(i: number) {
  const device = `dev-${i % devices}`;
  const round = Math.floor(i / devices);
  if (round === 0) {
    return { definition: DeviceEnrolled, data: { deviceId: device, dialect: 'flyve' as const, serial: device, type: 'android', agentVersion: '2.1.0', email: 'owner@example.com', invitationId: null, topic: `${tenant}/agent/${device}`, fleet: null, name: device } };
  }
  switch (round % 5) {
    case 1:
      return { definition: DeviceConnected, data: { deviceId: device, dialect: 'flyve' as const, clientId: device, protocolLevel: 4 as const, gatewayId: 'bench', remoteAddress: '127.0.0.1', connectedAt: at(i) } };
    case 2:
      return { definition: DevicePinged, data: { deviceId: device, receivedAt: at(i) } };
    case 3:
      return { definition: DeviceTaskStatusReported, data: { deviceId: device, taskId: String(round), status: 'done', receivedAt: at(i) } };
    case 4:
      return { definition: DeviceOnlineReported, data: { deviceId: device, online: true, lastWill: false, retained: false, connectionId: `${device}-c${round}`, connectionStartedAt: at(i - 1), receivedAt: at(i) } };
    default:
      return { definition: DeviceDisconnected, data: { deviceId: device, dialect: 'flyve' as const, clientId: device, gatewayId: 'bench', reason: 'client-disconnect' as const, disconnectedAt: at(i) } };
  }
}

const t = await createTestBus(values['nats-url']);
const schema = `bench_${t.namespace}`;
try {
  process.stdout.write(`storing ${total} events for ${devices} devices in namespace ${t.namespace}…\n`);
  const storing = Date.now();
  const window = 2_000;
  for (let start = 0; start < total; start += window) {
    const end = Math.min(total, start + window);
    const pending = [];
    for (let i = start; i < end; i++) {
      const { definition, data } = eventAt(i);
      pending.push(t.bus.publish(definition as typeof DevicePinged, { tenant, subjectId: data.deviceId, data: data as never, id: `bench-${i}`, occurredAt: at(i) }));
    }
    await Promise.all(pending);
  }
  const storeSeconds = (Date.now() - storing) / 1000;

  await ensureDatabase(values['database-url']);
  await ensureSchema(values['database-url'], schema);
  const db = createDb({ connectionString: values['database-url'], schema, applicationName: 'flotilla-bench' });
  await migrateToLatest(db as Kysely<unknown>, schema, migrations);
  const registry = inventoryProjections.find((p) => p.name === 'inventory-registry')!;
  process.stdout.write(`projecting with ${registry.name} (batch ${batchSize})…\n`);
  const started = process.hrtime.bigint();
  const handle = t.bus.consume(db as never, registry, { batchSize });
  await handle.caughtUp(30 * 60_000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await handle.stop();
  const rows = await (db as Kysely<{ devices: { device_id: string } }>).selectFrom('devices').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  await db.destroy();
  await dropSchema(values['database-url'], schema);

  const rate = Math.round(total / seconds);
  const batches = (await t.metrics.getSingleMetric('flotilla_projection_batch_seconds')!.get()).values as { metricName?: string; value: number }[];
  const batchSum = batches.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const batchCount = batches.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  const result = {
    benchmark: 'inventory-registry projection throughput',
    command: `pnpm --filter @flotilla/bench bench:registry --events ${total} --devices ${devices} --batch-size ${batchSize}`,
    at: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    events: total,
    devices,
    batchSize,
    storeSeconds: Math.round(storeSeconds * 10) / 10,
    projectSeconds: Math.round(seconds * 100) / 100,
    eventsPerSecond: rate,
    batches: batchCount,
    secondsInTransactions: Math.round(batchSum * 100) / 100,
    rows: Number(rows.n),
    target: '≥ 10,000 events/s',
    met: rate >= 10_000,
  };
  await writeFile(path.join(here, values.out), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await t.destroy();
}
