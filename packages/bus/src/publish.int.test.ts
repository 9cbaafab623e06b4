import { DevicePositionReported } from '@flotilla/contracts';
import { inject } from 'vitest';
import { createTestBus, type TestBus } from './testing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, EventValidationError } from './errors.js';
import { CounterIncremented, increment } from './test-projection.fixture.js';

let t: TestBus;
beforeAll(async () => {
  t = await createTestBus(inject('natsUrl'));
});
afterAll(() => t.destroy());

describe('publish', () => {
  it('stores a message id once: a republish is acknowledged as a duplicate', async () => {
    const first = await increment(t.bus, 'c-dup', 1, 'evt-dup-1');
    const again = await increment(t.bus, 'c-dup', 1, 'evt-dup-1');
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
    const info = await t.bus.connection.jsm.streams.info(t.bus.names.stream('devices'), { subjects_filter: '>' });
    expect(info.state.subjects?.[t.bus.names.subject('devices.acme.c-dup.CounterIncremented')]).toBe(1);
  });

  it('rejects a concurrent writer whose expected last subject sequence is stale', async () => {
    const subjectId = 'c-occ';
    const input = { tenant: 'acme', subjectId, data: { counterId: subjectId, by: 1 } };
    // Both writers decided against "no event yet" (sequence 0).
    const winner = await t.bus.publish(CounterIncremented, input, { expectedLastSubjectSequence: 0 });
    await expect(t.bus.publish(CounterIncremented, input, { expectedLastSubjectSequence: 0 })).rejects.toBeInstanceOf(ConcurrencyError);
    // A writer that read the winner's event may append.
    const next = await t.bus.publish(CounterIncremented, input, { expectedLastSubjectSequence: winner.seq });
    expect(next.seq).toBeGreaterThan(winner.seq);
  });

  it('refuses data that does not fit the event schema, before anything is stored', async () => {
    const before = (await t.bus.connection.jsm.streams.info(t.bus.names.stream('geo'))).state.messages;
    const bad = { deviceId: 'd', lat: 123, lon: 0, reportedAt: new Date(), source: 'flyve' as const };
    await expect(t.bus.publish(DevicePositionReported, { tenant: 'acme', subjectId: 'd', data: bad })).rejects.toBeInstanceOf(EventValidationError);
    await expect(t.bus.publish(DevicePositionReported, { tenant: 'ac.me', subjectId: 'd', data: { ...bad, lat: 1 } })).rejects.toThrow(/tenant/);
    expect((await t.bus.connection.jsm.streams.info(t.bus.names.stream('geo'))).state.messages).toBe(before);
  });

  it('fills the envelope: id as message id, correlation defaulting to the id, occurredAt from the clock', async () => {
    const { event } = await increment(t.bus, 'c-env', 2, 'evt-env-1');
    expect(event).toMatchObject({ id: 'evt-env-1', type: 'CounterIncremented', version: 1, tenant: 'acme', subjectId: 'c-env', causationId: null, correlationId: 'evt-env-1' });
    expect(event.occurredAt).toBeInstanceOf(Date);
  });
});
