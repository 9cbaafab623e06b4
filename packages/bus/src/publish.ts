import { randomUUID } from 'node:crypto';
import type { EventDataInput, EventDefinition, EventOf } from '@flotilla/contracts';
import { JetStreamApiCodes, type JetStreamClient } from '@nats-io/jetstream';
import { ConcurrencyError, EventValidationError } from './errors.js';
import type { Names } from './names.js';

/** What a producer supplies for one event; the bus fills in the rest of the envelope. */
export interface PublishInput<E extends EventDefinition> {
  tenant: string;
  /** The aggregate the event belongs to (e.g. the device id). */
  subjectId: string;
  data: EventDataInput<E>;
  /** Stable id for de-duplication (`Nats-Msg-Id`); a new UUID when omitted. */
  id?: string;
  causationId?: string | null;
  correlationId?: string;
  occurredAt?: Date;
}

/** Optimistic-concurrency and timeout options of a publish. */
export interface PublishOptions {
  /**
   * The stream sequence of the last message on the event's subject (0 = no message yet) that the
   * decision was made against; the server refuses the append when another writer got there first.
   */
  expectedLastSubjectSequence?: number;
  timeoutMs?: number;
}

/** Result of a publish: where the event is stored and whether it was a duplicate of an earlier one. */
export interface Published<E extends EventDefinition> {
  seq: number;
  duplicate: boolean;
  event: EventOf<E>;
}

/** Validates, wraps and appends one event to its context's stream, waiting for the JetStream PubAck. */
export async function publishEvent<E extends EventDefinition>(
  js: JetStreamClient,
  names: Names,
  now: () => Date,
  definition: E,
  input: PublishInput<E>,
  options: PublishOptions = {},
): Promise<Published<E>> {
  const id = input.id ?? randomUUID();
  const envelope = {
    id,
    type: definition.type,
    version: definition.version,
    tenant: input.tenant,
    subjectId: input.subjectId,
    occurredAt: input.occurredAt ?? now(),
    causationId: input.causationId ?? null,
    correlationId: input.correlationId ?? id,
    data: input.data,
  };
  let event: EventOf<E>;
  try {
    event = definition.parse(envelope) as EventOf<E>;
  } catch (error) {
    throw new EventValidationError(`${definition.type} does not fit its schema: ${(error as Error).message}`, { cause: error });
  }
  const subject = names.subject(definition.subject(input.tenant, input.subjectId));
  try {
    const ack = await js.publish(subject, JSON.stringify(event), {
      msgID: id,
      timeout: options.timeoutMs ?? 5_000,
      ...(options.expectedLastSubjectSequence === undefined ? {} : { expect: { lastSubjectSequence: options.expectedLastSubjectSequence } }),
    });
    return { seq: ack.seq, duplicate: ack.duplicate, event };
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === JetStreamApiCodes.StreamWrongLastSequence || /wrong last sequence/i.test(String(error))) {
      throw new ConcurrencyError(`${subject}: expected last sequence ${options.expectedLastSubjectSequence} is stale`, { cause: error });
    }
    throw error;
  }
}
