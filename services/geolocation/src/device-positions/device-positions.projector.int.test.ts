import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCheckpoint } from '@flotilla/db';
import { createTestBus, createTestSchema, loadRecordedStream, testEnvironment, type TestBus, type TestSchema } from '@flotilla/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { devicePositionsProjector } from './device-positions.projector.js';
import { latestPosition, positionHistory } from './device-positions.queries.js';
import type { GeoTables } from './device-positions.table.js';

const recorded = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/streams/geo-positions.jsonl');
let t: TestBus;
let s: TestSchema<GeoTables>;
let seqs: number[];

beforeAll(async () => {
  t = await createTestBus(testEnvironment().natsUrl);
  s = await createTestSchema<GeoTables>(testEnvironment().databaseUrl, migrations);
  seqs = await loadRecordedStream(t.bus, recorded);
});
afterAll(async () => {
  await t.destroy();
  await s.drop();
});

const snapshot = async () => ({
  latest: await s.db.selectFrom('device_positions').selectAll().orderBy('tenant').orderBy('device_id').execute(),
  history: await s.db.selectFrom('position_history').selectAll().orderBy('seq').execute(),
});

describe('geolocation-device-positions', () => {
  it('keeps the newest fix per device as latest; a late older fix only joins the history', async () => {
    const handle = t.bus.consume(s.db, devicePositionsProjector, { pollMs: 50 });
    await handle.caughtUp();
    await handle.stop();
    expect(await latestPosition(s.db, 'acme', 'phone-1')).toMatchObject({ lat: 48.11, lon: -1.68, reported_at: new Date('2016-10-13T07:56:32Z'), received_at: new Date('2026-11-21T10:01:00Z') });
    expect(await latestPosition(s.db, 'acme', 'phone-2')).toMatchObject({ lat: -33.87, accuracy: null });
    expect(await latestPosition(s.db, 'globex', 'phone-1')).toMatchObject({ lat: 40.4168 });
    const history = await positionHistory(s.db, 'acme', 'phone-1', { limit: 10 });
    expect(history.map((row) => row.lat)).toEqual([48.11, 48.1054276, 47]);
    const ranged = await positionHistory(s.db, 'acme', 'phone-1', { from: new Date('2016-10-13T07:55:00Z'), to: new Date('2016-10-13T07:56:00Z'), limit: 10 });
    expect(ranged.map((row) => row.lat)).toEqual([48.1054276]);
    expect(await positionHistory(s.db, 'acme', 'phone-2', { limit: 10 })).toMatchObject([{ lat: -33.87 }, { lat: -33.8688, accuracy: 12.5, altitude: 58 }]);
    // The two broken records are dead letters, never rows.
    expect(await latestPosition(s.db, 'acme', 'phone-3')).toBeUndefined();
    expect((await t.bus.connection.jsm.streams.info(t.bus.names.deadLetterStream())).state.messages).toBe(2);
    expect((await readCheckpoint(s.db, devicePositionsProjector.name)).lastSeq).toBe(seqs.at(-1));
  });

  it('rebuilds the same rows when replayed twice and when resumed from a mid-stream checkpoint', async () => {
    const live = await snapshot();
    const handle = t.bus.consume(s.db, devicePositionsProjector, { pollMs: 50 });
    await t.bus.replay(s.db, devicePositionsProjector);
    await handle.caughtUp();
    expect(await snapshot()).toEqual(live);
    await t.bus.replay(s.db, devicePositionsProjector);
    await handle.caughtUp();
    expect(await snapshot()).toEqual(live);
    await handle.stop();

    // From the middle: rewind the checkpoint to the fourth record with its rows, then resume.
    const middle = seqs[3]!;
    await s.db.deleteFrom('position_history').where('seq', '>', middle).execute();
    await s.db.deleteFrom('device_positions').where('last_seq', '>', middle).execute();
    await s.db.updateTable('projection_checkpoint').set({ last_seq: middle }).where('projection', '=', devicePositionsProjector.name).execute();
    const resumed = t.bus.consume(s.db, devicePositionsProjector, { pollMs: 50 });
    await resumed.caughtUp();
    await resumed.stop();
    const after = await snapshot();
    expect(after.history).toEqual(live.history);
    expect(after.latest.map((row) => [row.tenant, row.device_id, row.lat])).toEqual(live.latest.map((row) => [row.tenant, row.device_id, row.lat]));
  });
});
