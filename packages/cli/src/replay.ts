import { connectBus } from '@flotilla/bus';
import { readCheckpoint } from '@flotilla/db';
import { openServiceDb } from '@flotilla/service-kit';
import type { Logger } from 'pino';
import { registeredProjections } from './projections.js';

/** Options of {@link replayProjection}. */
export interface ReplayOptions {
  name: string;
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
  schemaPrefix: string;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Truncates a projection's read model and rebuilds it from stream sequence 1. A running service (in any
 * process) that leads the projection notices the reset and rebuilds it; when none runs, this process
 * does the work. Resolves once the rebuild has caught up with the stream.
 */
export async function replayProjection(options: ReplayOptions): Promise<{ lastSeq: number }> {
  const registered = registeredProjections().get(options.name);
  if (!registered) {
    throw new Error(`unknown projection ${JSON.stringify(options.name)}; known: ${[...registeredProjections().keys()].join(', ')}`);
  }
  const bus = await connectBus({ servers: options.natsUrl.split(','), name: 'flotilla-replay', namespace: options.namespace, logger: options.logger });
  const db = await openServiceDb({ connectionString: options.databaseUrl, schema: `${options.schemaPrefix}${registered.schema}`, migrations: registered.migrations, applicationName: 'flotilla-replay' });
  try {
    await bus.ensureStreams([registered.projection.context]);
    await bus.replay(db, registered.projection);
    const handle = bus.consume(db, registered.projection);
    await handle.caughtUp(options.timeoutMs);
    await handle.stop();
    return { lastSeq: (await readCheckpoint(db, options.name)).lastSeq };
  } finally {
    await bus.drain();
    await db.destroy();
  }
}
