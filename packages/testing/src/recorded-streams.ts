import { readFile } from 'node:fs/promises';
import type { Bus } from '@flotilla/bus';
import { CONTEXT_NAMES, type Context } from '@flotilla/contracts';

/**
 * One line of a recorded stream (`test/streams/*.jsonl`): the logical subject and the stored message,
 * either an envelope object or, for deliberately broken records, a raw string.
 */
export interface RecordedLine {
  subject: string;
  message: unknown;
}

/**
 * Publishes a recorded stream into the bus's namespace in file order, each envelope with its `id` as
 * message id (so loading twice stores once). Returns the stream sequences, in order.
 */
export async function loadRecordedStream(bus: Bus, file: string): Promise<number[]> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  const seqs: number[] = [];
  for (const [index, line] of lines.entries()) {
    const record = JSON.parse(line) as RecordedLine;
    const context = record.subject.split('.')[0] as Context;
    if (!CONTEXT_NAMES.includes(context)) throw new Error(`${file}:${index + 1}: subject ${record.subject} is not in a known context`);
    const raw = typeof record.message === 'string' ? record.message : JSON.stringify(record.message);
    const id = typeof record.message === 'object' && record.message !== null ? (record.message as { id?: string }).id : undefined;
    const ack = await bus.connection.js.publish(bus.names.subject(record.subject), raw, id ? { msgID: id } : {});
    seqs.push(ack.seq);
  }
  return seqs;
}
