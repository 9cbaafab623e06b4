import { EventEnvelopeSchema, type EventDefinition, type EventOf } from '@flotilla/contracts';

/** Result of decoding a stored message for one projection. */
export type Decoded =
  | { kind: 'event'; event: EventOf<EventDefinition> }
  | { kind: 'ignored'; type: string }
  | { kind: 'invalid'; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes raw bytes into an event the projection handles, `ignored` for other event types of the
 * context, or `invalid` with the reason (bad UTF-8, bad JSON, envelope or data not fitting the schema).
 */
export function decodeFor(events: readonly EventDefinition[], bytes: Uint8Array): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch (error) {
    return { kind: 'invalid', reason: `not a UTF-8 JSON document: ${(error as Error).message}` };
  }
  const envelope = EventEnvelopeSchema.safeParse(json);
  if (!envelope.success) return { kind: 'invalid', reason: `envelope: ${summarize(envelope.error)}` };
  const candidates = events.filter((event) => event.type === envelope.data.type);
  if (candidates.length === 0) return { kind: 'ignored', type: envelope.data.type };
  const definition = candidates.find((event) => event.version === envelope.data.version);
  if (!definition) return { kind: 'invalid', reason: `${envelope.data.type} version ${envelope.data.version} has no schema here` };
  try {
    return { kind: 'event', event: definition.parse(json) };
  } catch (error) {
    return { kind: 'invalid', reason: `${definition.type}: ${summarize(error)}` };
  }
}

function summarize(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (!issues) return (error as Error).message;
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}
