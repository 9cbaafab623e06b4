import { AckPolicy, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';

/** Settings of a projection's durable consumer. */
export interface DurableSpec {
  stream: string;
  durable: string;
  filterSubject: string;
  ackWaitMs: number;
  maxAckPending: number;
  generation: number;
}

/** Marker in the consumer's description telling which checkpoint generation it was created for. */
export function generationTag(generation: number): string {
  return `flotilla projection, generation ${generation}`;
}

/**
 * Recreates the durable consumer so it starts right after `lastSeq`: the database checkpoint, not the
 * consumer's own state, decides where a projection resumes (a lost ack costs one skipped redelivery).
 */
export async function rewindDurable(jsm: JetStreamManager, spec: DurableSpec, lastSeq: number): Promise<void> {
  await jsm.consumers.delete(spec.stream, spec.durable).catch((error: { code?: number }) => {
    if (error.code !== 404 && !/not found/i.test(String(error))) throw error;
  });
  await jsm.consumers.add(spec.stream, {
    durable_name: spec.durable,
    description: generationTag(spec.generation),
    ack_policy: AckPolicy.Explicit,
    filter_subject: spec.filterSubject,
    ack_wait: spec.ackWaitMs * 1_000_000,
    max_ack_pending: spec.maxAckPending,
    max_deliver: -1,
    ...(lastSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 } : { deliver_policy: DeliverPolicy.All }),
  });
}
