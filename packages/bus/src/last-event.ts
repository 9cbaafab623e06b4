import type { EventDefinition, EventOf } from '@flotilla/contracts';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Names } from './names.js';

/** The newest stored event of one exact subject, with its stream sequence. */
export interface LastEvent<E extends EventDefinition> {
  seq: number;
  event: EventOf<E>;
}

/**
 * Reads the newest `definition` event of one aggregate (`<context>.<tenant>.<id>.<Type>`) straight from
 * the stream. Its `seq` is what a conditional append of the next such event expects.
 */
export async function lastEvent<E extends EventDefinition>(jsm: JetStreamManager, names: Names, definition: E, tenant: string, aggregateId: string): Promise<LastEvent<E> | undefined> {
  const subject = names.subject(definition.subject(tenant, aggregateId));
  const message = await jsm.streams.getMessage(names.stream(definition.context), { last_by_subj: subject }).catch((error: { code?: number }) => {
    if (error.code === 404 || /no message found|not found/i.test(String(error))) return undefined;
    throw error;
  });
  if (!message) return undefined;
  return { seq: message.seq, event: definition.parse(message.json()) as EventOf<E> };
}
