import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { connectBus, type Bus } from './bus.js';

/** A short random lower-case name usable as a bus namespace. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** A bus in a namespace of its own, with every stream created; `destroy` deletes them. */
export interface TestBus {
  bus: Bus;
  namespace: string;
  metrics: Registry;
  destroy(): Promise<void>;
}

/** Connects a bus to `natsUrl` in a random namespace and creates the platform's streams there. */
export async function createTestBus(natsUrl: string, namespace = uniqueName('t')): Promise<TestBus> {
  const metrics = new Registry();
  const bus = await connectBus({ servers: natsUrl, name: `test-${namespace}`, namespace, metrics, connectTimeoutMs: 2_000 });
  await bus.ensureStreams();
  return {
    bus,
    namespace,
    metrics,
    async destroy() {
      await deleteNamespace(natsUrl, namespace);
      await bus.drain();
    },
  };
}

/** Deletes every stream (KV buckets included) whose name starts with the namespace. */
export async function deleteNamespace(natsUrl: string, namespace: string): Promise<void> {
  const admin = await connectBus({ servers: natsUrl, name: `cleanup-${namespace}`, connectTimeoutMs: 2_000, metrics: new Registry() });
  try {
    const { jsm } = admin.connection;
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${namespace}_`) || name.startsWith(`KV_${namespace}_`) || name.startsWith(`OBJ_${namespace}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await admin.drain();
  }
}
