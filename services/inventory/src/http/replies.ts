import type { FastifyReply } from 'fastify';
import type { z } from 'zod';

/** Sends `{error, message}` with `status`. */
export function refuse(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).send({ error, message });
}

/** Parses `value` with `schema`, or answers 400 listing every problem and returns undefined. */
export function parseOr400<S extends z.ZodType>(reply: FastifyReply, schema: S, value: unknown): z.output<S> | undefined {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  void refuse(reply, 400, 'bad_request', parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; '));
  return undefined;
}
