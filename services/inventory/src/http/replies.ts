import { validationMessage } from '@flotilla/service-kit';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';

/** Sends `{error, message}` with `status`. */
export function refuse(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).send({ error, message });
}

/**
 * Parses `value` with `schema`, or answers 400 listing every problem and returns undefined. Prefer declaring
 * the schema on the route (`schema: { querystring, body }`): the server validates it the same way and the
 * OpenAPI document at `/docs` shows it.
 */
export function parseOr400<S extends z.ZodType>(reply: FastifyReply, schema: S, value: unknown): z.output<S> | undefined {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  void refuse(reply, 400, 'bad_request', validationMessage(parsed.error.issues));
  return undefined;
}
