import type { FastifyReply } from 'fastify';

/** Sends `{error, message}` with `status`. */
export function refuse(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).send({ error, message });
}
