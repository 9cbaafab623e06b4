import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BusConnectionError, connectBus } from '@flotilla/bus';
import { freePort } from '@flotilla/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer, startEmbeddedNats } from './nats.js';
import { isListening, waitForPort } from './port.js';
import { startEmbeddedPostgres } from './postgres.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flotilla-embedded-'));
  await chmod(dir, 0o755); // PostgreSQL runs as the postgres user when the tests run as root
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('embedded servers for a fresh machine', () => {
  it('starts nats-server with JetStream from the PATH and stops it', async () => {
    const port = await freePort();
    const nats = await startEmbeddedNats({ port, dataDir: path.join(dir, 'nats') });
    const bus = await connectBus({ servers: nats.url, connectTimeoutMs: 2_000 });
    await bus.ensureStreams(['geo']);
    expect((await bus.connection.jsm.streams.info('GEO')).config.subjects).toEqual(['geo.>']);
    await bus.drain();
    await nats.stop();
    expect(await isListening('127.0.0.1', port)).toBe(false);
  });

  it('explains what to do when nats-server is not installed', async () => {
    expect(await findNatsServer('/nonexistent')).toBeDefined(); // the machine's Debian package, found in /usr/sbin
    await expect(startEmbeddedNats({ port: await freePort(), dataDir: path.join(dir, 'none'), binary: '' })).rejects.toThrow(/apt-get install nats-server.*or set NATS_URL/);
  });

  it.each(['system', 'package'] as const)('starts PostgreSQL from the %s binaries, keeping data across restarts', async (binaries) => {
    const port = await freePort();
    const dataDir = path.join(dir, `postgres-${binaries}`);
    const first = await startEmbeddedPostgres({ port, dataDir, binaries });
    expect(first.source).toBe(binaries);
    const admin = new pg.Client({ connectionString: first.url.replace('/flotilla', '/postgres') });
    await admin.connect();
    await admin.query('CREATE TABLE kept (v int)');
    await admin.end();
    await first.stop();
    expect(await isListening('127.0.0.1', port)).toBe(false);
    const second = await startEmbeddedPostgres({ port, dataDir, binaries });
    const again = new pg.Client({ connectionString: second.url.replace('/flotilla', '/postgres') });
    await again.connect();
    expect((await again.query('SELECT count(*)::int AS n FROM kept')).rows[0].n).toBe(0);
    await again.end();
    await second.stop();
  }, 120_000);
});

describe('errors a person understands', () => {
  it.runIf(process.getuid?.() === 0)('says when, as root, the postgres user cannot reach the data folder', async () => {
    const closed = path.join(dir, 'closed');
    await mkdir(closed, { mode: 0o700 });
    await expect(startEmbeddedPostgres({ port: await freePort(), dataDir: path.join(closed, 'postgres') })).rejects.toThrow(/runs as user postgres, which cannot reach .*set FLOTILLA_DATA_DIR/);
  });

  it('says NATS cannot be reached at the URL', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const error = await connectBus({ servers: url, connectTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BusConnectionError);
    expect((error as Error).message).toMatch(new RegExp(`cannot reach NATS at ${url}.*is nats-server running`));
  });

  it('says JetStream is not enabled when the server runs without -js', async () => {
    const port = await freePort();
    const binary = (await findNatsServer())!;
    const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    try {
      await waitForPort('127.0.0.1', port, 5_000, 'nats-server');
      await expect(connectBus({ servers: `nats://127.0.0.1:${port}`, connectTimeoutMs: 1_000 })).rejects.toThrow(/JetStream is not enabled.*nats-server -js/);
    } finally {
      child.kill();
    }
  });
});
