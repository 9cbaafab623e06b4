import { z } from 'zod';
import type { Context } from './contexts.js';
import { eventSubject } from './subjects.js';
import { SubjectToken } from './subject-token.js';

/**
 * The envelope every event travels in. `id` is also the JetStream `Nats-Msg-Id`, so a republish of
 * the same event inside the stream's duplicate window is stored once.
 */
export const EventEnvelopeSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.string().min(1),
  version: z.number().int().positive(),
  tenant: SubjectToken,
  subjectId: SubjectToken,
  occurredAt: z.coerce.date(),
  causationId: z.string().min(1).nullable(),
  correlationId: z.string().min(1),
  data: z.unknown(),
});

/** A parsed envelope whose `data` is of type `D`. */
export type EventEnvelope<T extends string = string, D = unknown> = Omit<z.output<typeof EventEnvelopeSchema>, 'type' | 'data'> & {
  type: T;
  data: D;
};

/** An event type: its name, version, context and the zod schema of its data. */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly version: number;
  readonly context: Context;
  readonly data: S;
  /** Parses an unknown value into this event's envelope; throws a `ZodError` when it does not fit. */
  parse(value: unknown): EventEnvelope<T, z.output<S>>;
  /** Subject for this event on one aggregate. */
  subject(tenant: string, aggregateId: string): string;
}

/** The envelope type of an event definition, as consumers see it. */
export type EventOf<E> = E extends EventDefinition<infer T, infer S> ? EventEnvelope<T, z.output<S>> : never;

/** The data type a producer passes for an event definition. */
export type EventDataInput<E> = E extends EventDefinition<string, infer S> ? z.input<S> : never;

/** Declares an event type. The `type` string equals the exported const name by convention. */
export function defineEvent<T extends string, S extends z.ZodType>(
  type: T,
  options: { version: number; context: Context },
  data: S,
): EventDefinition<T, S> {
  const schema = EventEnvelopeSchema.extend({ type: z.literal(type), version: z.literal(options.version), data });
  return Object.freeze({
    type,
    version: options.version,
    context: options.context,
    data,
    parse: (value: unknown) => schema.parse(value) as EventEnvelope<T, z.output<S>>,
    subject: (tenant: string, aggregateId: string) => eventSubject(options.context, tenant, aggregateId, type),
  });
}
