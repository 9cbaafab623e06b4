import { defineEvent, type EventDataInput } from '@flotilla/contracts';
import type { Migrations } from '@flotilla/db';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Bus } from './bus.js';
import { projector } from './projection.js';

/** A counter event used only by the bus tests. */
export const CounterIncremented = defineEvent('CounterIncremented', { version: 1, context: 'devices' }, z.object({ counterId: z.string(), by: z.number().int() }));

/** Read model of the test projection, plus a log with one row per `apply` call (no unique key, so double applies show). */
export interface CounterTables {
  counters: { counter_id: string; total: number; last_seq: number };
  apply_log: { seq: number; counter_id: string };
}

/** Migration of {@link CounterTables}. */
export const counterMigrations: Migrations = {
  '0001_counters': {
    async up(db) {
      await sql`CREATE TABLE counters (counter_id text PRIMARY KEY, total bigint NOT NULL, last_seq bigint NOT NULL)`.execute(db);
      await sql`CREATE TABLE apply_log (seq bigint NOT NULL, counter_id text NOT NULL)`.execute(db);
    },
  },
};

/** Hooks tests use to make `apply` fail on demand. */
export const faults = { failNextApplies: 0 };

/** Sums increments per counter and logs every apply. */
export const countersProjector = projector<CounterTables, [typeof CounterIncremented]>({
  name: 'test-counters',
  events: [CounterIncremented],
  tables: ['counters', 'apply_log'],
  async apply(trx, event, { seq }) {
    if (faults.failNextApplies > 0) {
      faults.failNextApplies -= 1;
      throw new Error('injected transient failure');
    }
    await trx.insertInto('apply_log').values({ seq, counter_id: event.data.counterId }).execute();
    await trx
      .insertInto('counters')
      .values({ counter_id: event.data.counterId, total: event.data.by, last_seq: seq })
      .onConflict((oc) => oc.column('counter_id').doUpdateSet({ total: sql`counters.total + ${event.data.by}`, last_seq: seq }))
      .execute();
  },
});

/** Publishes one increment. */
export function increment(bus: Bus, counterId: string, by: number, id?: string) {
  const data: EventDataInput<typeof CounterIncremented> = { counterId, by };
  return bus.publish(CounterIncremented, { tenant: 'acme', subjectId: counterId, data, ...(id ? { id } : {}) });
}
