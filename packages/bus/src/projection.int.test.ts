import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readCheckpoint } from '@flotilla/db';
import { createTestSchema, type TestSchema } from '@flotilla/db/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { applyBatch } from './apply-batch.js';
import { DEAD_LETTER_HEADERS } from './dead-letter.js';
import { countersProjector, counterMigrations, faults, increment, type CounterTables } from './test-projection.fixture.js';
import { createTestBus, type TestBus } from './testing.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  faults.failNextApplies = 0;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ t: TestBus; s: TestSchema<CounterTables> }> {
  const t = await createTestBus(inject('natsUrl'));
  const s = await createTestSchema<CounterTables>(inject('databaseUrl'), counterMigrations);
  cleanups.push(() => t.destroy(), () => s.drop());
  return { t, s };
}

const fast = { minBackoffMs: 10, maxBackoffMs: 50, pollMs: 50 };
const rows = (s: TestSchema<CounterTables>) => s.db.selectFrom('counters').selectAll().orderBy('counter_id').execute();
const log = (s: TestSchema<CounterTables>) => s.db.selectFrom('apply_log').select(['seq', 'counter_id']).orderBy('seq').execute();

describe('consume(projection)', () => {
  it('applies each event once and stores the stream sequence as checkpoint', async () => {
    const { t, s } = await setup();
    const published = [await increment(t.bus, 'a', 1), await increment(t.bus, 'b', 5), await increment(t.bus, 'a', 2)];
    const handle = t.bus.consume(s.db, countersProjector, fast);
    await handle.caughtUp();
    await handle.stop();
    expect(await rows(s)).toEqual([
      { counter_id: 'a', total: 3, last_seq: published[2]!.seq },
      { counter_id: 'b', total: 5, last_seq: published[1]!.seq },
    ]);
    expect((await log(s)).map((r) => r.seq)).toEqual(published.map((p) => p.seq));
    expect((await readCheckpoint(s.db, 'test-counters')).lastSeq).toBe(published[2]!.seq);
  });

  it('does not apply an event twice when the process is killed after COMMIT and before the ack', async () => {
    const { t, s } = await setup();
    const published = [await increment(t.bus, 'k', 1), await increment(t.bus, 'k', 10)];
    const child = promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(here, 'crash-after-commit.fixture.ts')], {
      env: { ...process.env, NATS_URL: inject('natsUrl'), NAMESPACE: t.namespace, DATABASE_URL: inject('databaseUrl'), SCHEMA: s.schema },
    });
    const crashed = await child.then(() => undefined, (error: { signal?: string; stdout?: string }) => error);
    expect(crashed?.signal).toBe('SIGKILL');
    const committed = /^committed ([\d,]+)\n$/.exec(crashed?.stdout ?? '')![1]!.split(',').map(Number);
    // The batch was committed but never acknowledged.
    const info = await t.bus.connection.jsm.consumers.info(t.bus.names.stream('devices'), 'test-counters');
    expect(info.num_ack_pending).toBeGreaterThan(0);
    expect(info.ack_floor.stream_seq).toBe(0);
    expect((await log(s)).map((r) => r.seq)).toEqual(committed);

    const handle = t.bus.consume(s.db, countersProjector, fast);
    await handle.caughtUp();
    await increment(t.bus, 'k', 100);
    await handle.caughtUp();
    await handle.stop();
    expect((await log(s)).map((r) => r.seq)).toEqual([published[0]!.seq, published[1]!.seq, published[1]!.seq + 1]);
    expect(await rows(s)).toEqual([{ counter_id: 'k', total: 111, last_seq: published[1]!.seq + 1 }]);
  });

  it('skips a redelivered message at or below the checkpoint inside the transaction', async () => {
    const { t, s } = await setup();
    const { seq } = await increment(t.bus, 'r', 7);
    const stored = await t.bus.connection.jsm.streams.getMessage(t.bus.names.stream('devices'), { seq });
    const message = { seq, subject: 'devices.acme.r.CounterIncremented', data: stored!.data };
    const context = { stream: t.bus.names.stream('devices'), generation: 0, deadLetter: async () => undefined };
    expect(await applyBatch(s.db, countersProjector, [message], context)).toEqual({ applied: [seq], skipped: [], deadLettered: [] });
    expect(await applyBatch(s.db, countersProjector, [message], context)).toEqual({ applied: [], skipped: [seq], deadLettered: [] });
    expect(await rows(s)).toEqual([{ counter_id: 'r', total: 7, last_seq: seq }]);
  });

  it('moves an invalid event to the dead-letter subject with its reason and raw bytes, and goes on', async () => {
    const { t, s } = await setup();
    const subject = t.bus.names.subject('devices.acme.bad.CounterIncremented');
    const first = await increment(t.bus, 'ok', 1);
    const notJson = await t.bus.connection.js.publish(subject, 'not json {');
    const wrongData = await t.bus.connection.js.publish(
      subject,
      JSON.stringify({ id: 'x1', type: 'CounterIncremented', version: 1, tenant: 'acme', subjectId: 'bad', occurredAt: new Date().toISOString(), causationId: null, correlationId: 'x1', data: { counterId: 'bad', by: 'lots' } }),
    );
    const last = await increment(t.bus, 'ok', 2);
    const handle = t.bus.consume(s.db, countersProjector, fast);
    await handle.caughtUp();
    await handle.stop();
    expect(await rows(s)).toEqual([{ counter_id: 'ok', total: 3, last_seq: last.seq }]);
    expect((await readCheckpoint(s.db, 'test-counters')).lastSeq).toBe(last.seq);
    expect(first.seq).toBeLessThan(notJson.seq);

    const dlq = t.bus.names.deadLetterStream();
    const letters = [1, 2].map((seq) => t.bus.connection.jsm.streams.getMessage(dlq, { seq }));
    const [a, b] = await Promise.all(letters);
    expect(a!.subject).toBe(t.bus.names.subject('dlq.' + t.bus.names.stream('devices') + '.test-counters'));
    expect(a!.string()).toBe('not json {');
    expect(a!.header.get(DEAD_LETTER_HEADERS.reason)).toMatch(/not a UTF-8 JSON document/);
    expect(a!.header.get(DEAD_LETTER_HEADERS.seq)).toBe(String(notJson.seq));
    expect(b!.header.get(DEAD_LETTER_HEADERS.reason)).toMatch(/data\.by/);
    expect(b!.header.get(DEAD_LETTER_HEADERS.seq)).toBe(String(wrongData.seq));
    expect((await t.bus.connection.jsm.streams.info(dlq)).state.messages).toBe(2);
    const counted = await t.metrics.getSingleMetricAsString('flotilla_dead_letters_total');
    expect(counted).toMatch(/source="test-counters"\} 2/);
  });

  it('recovers from transient failures without losing or reordering events', async () => {
    const { t, s } = await setup();
    const published = [];
    for (let i = 1; i <= 5; i++) published.push(await increment(t.bus, 'tr', i));
    faults.failNextApplies = 3;
    const handle = t.bus.consume(s.db, countersProjector, fast);
    await handle.caughtUp();
    await handle.stop();
    expect(faults.failNextApplies).toBe(0);
    expect((await log(s)).map((r) => r.seq)).toEqual(published.map((p) => p.seq));
    expect(await rows(s)).toEqual([{ counter_id: 'tr', total: 15, last_seq: published[4]!.seq }]);
    expect(await t.metrics.getSingleMetricAsString('flotilla_projection_errors_total')).toMatch(/projection="test-counters"\} 3/);
  });

  it('rebuilds identical rows when replayed twice, including while it runs', async () => {
    const { t, s } = await setup();
    for (const [id, by] of [['x', 1], ['y', 2], ['x', 3], ['z', 4]] as const) await increment(t.bus, id, by);
    const handle = t.bus.consume(s.db, countersProjector, fast);
    await handle.caughtUp();
    const live = await rows(s);
    const liveLog = await log(s);
    await t.bus.replay(s.db, countersProjector);
    await handle.caughtUp();
    expect(await rows(s)).toEqual(live);
    await t.bus.replay(s.db, countersProjector);
    await handle.caughtUp();
    expect(await rows(s)).toEqual(live);
    expect(await log(s)).toEqual(liveLog);
    expect((await readCheckpoint(s.db, 'test-counters')).generation).toBe(2);
    await handle.stop();
  });

  it('resumes from a mid-stream checkpoint to the same rows as a run from the start', async () => {
    const { t, s } = await setup();
    const first = await increment(t.bus, 'm', 1);
    const handle = t.bus.consume(s.db, countersProjector, fast);
    await handle.caughtUp();
    await handle.stop();
    for (const by of [2, 3, 4]) await increment(t.bus, 'm', by);
    const resumed = t.bus.consume(s.db, countersProjector, fast);
    await resumed.caughtUp();
    expect((await log(s))[0]!.seq).toBe(first.seq);
    const fromMiddle = await rows(s);
    await t.bus.replay(s.db, countersProjector);
    await resumed.caughtUp();
    await resumed.stop();
    expect(await rows(s)).toEqual(fromMiddle);
    expect(fromMiddle).toEqual([{ counter_id: 'm', total: 10, last_seq: first.seq + 3 }]);
  });

  it('runs one leader per projection; a standby takes over when the leader stops', async () => {
    const { t, s } = await setup();
    const other = await createTestBus(inject('natsUrl'), t.namespace);
    cleanups.push(() => other.bus.drain());
    const a = t.bus.consume(s.db, countersProjector, fast);
    await increment(t.bus, 'l', 1);
    await a.caughtUp();
    const b = other.bus.consume(s.db, countersProjector, fast);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    await a.stop();
    await increment(t.bus, 'l', 2);
    await b.caughtUp();
    expect(b.isLeader()).toBe(true);
    await b.stop();
    expect(await rows(s)).toMatchObject([{ counter_id: 'l', total: 3 }]);
    expect((await log(s)).length).toBe(2);
  });
});
