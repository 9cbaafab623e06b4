import type { Context } from './contexts.js';
import { subjectToken } from './subject-token.js';

/**
 * Subject of one event: `<context>.<tenant>.<aggregate-id>.<EventType>`. Every variable token is
 * checked, so a device-supplied id can never widen a subject into a wildcard or add a token.
 */
export function eventSubject(context: Context, tenant: string, aggregateId: string, type: string): string {
  return [context, subjectToken(tenant, 'tenant'), subjectToken(aggregateId, 'aggregate id'), subjectToken(type, 'event type')].join('.');
}

/** Filter matching every event of one aggregate: `<context>.<tenant>.<aggregate-id>.*`. */
export function aggregateSubjectFilter(context: Context, tenant: string, aggregateId: string): string {
  return `${context}.${subjectToken(tenant, 'tenant')}.${subjectToken(aggregateId, 'aggregate id')}.*`;
}

/** Filter matching one event type across tenants and aggregates: `<context>.*.*.<EventType>`. */
export function eventTypeSubjectFilter(context: Context, type: string): string {
  return `${context}.*.*.${subjectToken(type, 'event type')}`;
}

/** Filter matching a whole context: `<context>.>`. */
export function contextSubjectFilter(context: Context): string {
  return `${context}.>`;
}

/** Subject a dead letter is kept under: `dlq.<stream>.<consumer>`. */
export function deadLetterSubject(stream: string, consumer: string): string {
  return `dlq.${subjectToken(stream, 'stream')}.${subjectToken(consumer, 'consumer')}`;
}
