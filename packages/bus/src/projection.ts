import type { CheckpointTables } from '@flotilla/db';
import { eventTypeSubjectFilter, type Context, type EventDefinition, type EventOf } from '@flotilla/contracts';
import type { Transaction } from 'kysely';

/** Where an event sits in its stream. */
export interface EventPosition {
  /** Stream sequence: unique, increasing, the projection's checkpoint unit. */
  seq: number;
  subject: string;
}

/** A read model fed by one durable consumer; see {@link projector}. */
export interface Projection<DB = unknown> {
  /** Durable consumer name and checkpoint key: `<service>-<read-model>`. */
  readonly name: string;
  readonly context: Context;
  readonly events: readonly EventDefinition[];
  /** Read-model tables a reset truncates. */
  readonly tables: readonly string[];
  /** Logical filter subject of the consumer. */
  readonly filter: string;
  apply(trx: Transaction<DB & CheckpointTables>, event: EventOf<EventDefinition>, position: EventPosition): Promise<unknown>;
  /** When present, a whole batch is handed over at once (in stream order), e.g. to write each row once. */
  applyMany?(trx: Transaction<DB & CheckpointTables>, items: readonly ProjectedEvent[]): Promise<unknown>;
}

/** One event of a batch with its position. */
export interface ProjectedEvent {
  event: EventOf<EventDefinition>;
  position: EventPosition;
}

/**
 * Declares a projection. `apply` runs inside the transaction that also advances the checkpoint, so it
 * must only touch PostgreSQL; it must be idempotent per event and deterministic (no clock, no random),
 * so that a replay rebuilds the same rows.
 */
export function projector<DB, const E extends readonly [EventDefinition, ...EventDefinition[]]>(
  definition: {
    name: string;
    events: E;
    tables: readonly (keyof DB & string)[];
  } & (
    | { apply: (trx: Transaction<DB & CheckpointTables>, event: EventOf<E[number]>, position: EventPosition) => Promise<unknown>; applyMany?: never }
    | { applyMany: (trx: Transaction<DB & CheckpointTables>, items: readonly { event: EventOf<E[number]>; position: EventPosition }[]) => Promise<unknown>; apply?: never }
  ),
): Projection<DB> {
  const context = definition.events[0].context;
  const foreign = definition.events.find((event) => event.context !== context);
  if (foreign) throw new Error(`projection ${definition.name}: ${foreign.type} is in context ${foreign.context}, not ${context}`);
  const filter = definition.events.length === 1 ? eventTypeSubjectFilter(context, definition.events[0].type) : `${context}.>`;
  return Object.freeze({
    name: definition.name,
    context,
    events: definition.events,
    tables: definition.tables,
    filter,
    ...(definition.applyMany
      ? {
          applyMany: definition.applyMany as Projection<DB>['applyMany'],
          apply: ((trx, event, position) => definition.applyMany!(trx, [{ event, position }] as never)) as Projection<DB>['apply'],
        }
      : { apply: definition.apply as Projection<DB>['apply'] }),
  });
}
