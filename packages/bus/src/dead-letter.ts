import { deadLetterSubject } from '@flotilla/contracts';
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { Names } from './names.js';

/** Where a dead letter came from. */
export interface DeadLetterSource {
  stream: string;
  consumer: string;
  seq?: number;
  subject: string;
}

/** Headers every dead letter carries beside its raw bytes. */
export const DEAD_LETTER_HEADERS = {
  reason: 'Flotilla-Dead-Letter-Reason',
  stream: 'Flotilla-Dead-Letter-Stream',
  consumer: 'Flotilla-Dead-Letter-Consumer',
  seq: 'Flotilla-Dead-Letter-Seq',
  subject: 'Flotilla-Dead-Letter-Subject',
} as const;

/**
 * Keeps `raw` on `dlq.<stream>.<consumer>` with the reason in headers. With a `seq` the message id is
 * derived from it, so retrying after a crash stores the dead letter once.
 */
export async function publishDeadLetter(js: JetStreamClient, names: Names, source: DeadLetterSource, raw: Uint8Array, reason: string): Promise<number> {
  const h = headers();
  h.set(DEAD_LETTER_HEADERS.reason, reason.replace(/[\r\n]+/g, ' ').slice(0, 2_000));
  h.set(DEAD_LETTER_HEADERS.stream, source.stream);
  h.set(DEAD_LETTER_HEADERS.consumer, source.consumer);
  h.set(DEAD_LETTER_HEADERS.subject, source.subject.replace(/[\r\n]+/g, ' '));
  if (source.seq !== undefined) h.set(DEAD_LETTER_HEADERS.seq, String(source.seq));
  const ack = await js.publish(names.subject(deadLetterSubject(source.stream, source.consumer)), raw, {
    headers: h,
    ...(source.seq === undefined ? {} : { msgID: `dlq:${source.stream}:${source.consumer}:${source.seq}` }),
  });
  return ack.seq;
}
