import { RetentionPolicy } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestBus, type TestBus } from './testing.js';

let t: TestBus;
beforeAll(async () => {
  t = await createTestBus(inject('natsUrl'));
});
afterAll(() => t.destroy());

describe('declarative topology', () => {
  it('creates every context stream and the dead-letter stream, and creating again changes nothing', async () => {
    const names = async () => {
      const found: string[] = [];
      for await (const name of t.bus.connection.jsm.streams.names()) if (name.startsWith(`${t.namespace}_`)) found.push(name);
      return found.sort();
    };
    const expected = ['COMMANDS', 'DEVICES', 'DLQ', 'GEO', 'IDENTITY', 'POLICIES', 'TASKS', 'TELEMETRY'].map((s) => `${t.namespace}_${s}`);
    expect(await names()).toEqual(expected);
    const before = await t.bus.connection.jsm.streams.info(`${t.namespace}_GEO`);
    await t.bus.ensureStreams();
    const after = await t.bus.connection.jsm.streams.info(`${t.namespace}_GEO`);
    expect(after.config).toEqual(before.config);
    expect(after.config).toMatchObject({ subjects: [`${t.namespace}.geo.>`], storage: 'file', duplicate_window: 120_000_000_000 });
  });

  it('updates a stream whose settings drifted from the declaration', async () => {
    const stream = `${t.namespace}_TASKS`;
    const { config } = await t.bus.connection.jsm.streams.info(stream);
    await t.bus.connection.jsm.streams.update(stream, { ...config, duplicate_window: 10_000_000_000 });
    await t.bus.ensureStreams();
    expect((await t.bus.connection.jsm.streams.info(stream)).config.duplicate_window).toBe(120_000_000_000);
  });

  it('makes COMMANDS a work queue, and says so when an existing stream has another retention', async () => {
    expect((await t.bus.connection.jsm.streams.info(`${t.namespace}_COMMANDS`)).config.retention).toBe('workqueue');
    const other = await createTestBus(inject('natsUrl'));
    try {
      const { config } = await other.bus.connection.jsm.streams.info(`${other.namespace}_COMMANDS`);
      await other.bus.connection.jsm.streams.delete(config.name);
      await other.bus.connection.jsm.streams.add({ ...config, retention: RetentionPolicy.Limits });
      await expect(other.bus.ensureStreams()).rejects.toThrow(/COMMANDS has limits retention but workqueue is declared.*cannot change retention in place/);
    } finally {
      await other.destroy();
    }
  });

  it('creates KV buckets, and updates history and TTL of an existing one', async () => {
    const first = await t.bus.ensureBuckets([{ name: 'presence', ttlMs: 30_000, description: 'who is connected' }]);
    await first.get('presence')!.put('dev-1', 'gw-1');
    expect(await first.get('presence')!.status()).toMatchObject({ ttl: 30_000, history: 1, description: 'who is connected' });
    const again = await t.bus.ensureBuckets([{ name: 'presence', ttlMs: 60_000, history: 3 }]);
    const status = await again.get('presence')!.status();
    expect(status).toMatchObject({ ttl: 60_000, history: 3 });
    expect((await again.get('presence')!.get('dev-1'))?.string()).toBe('gw-1');
    expect(status.bucket).toBe(`${t.namespace}_presence`);
  });
});
