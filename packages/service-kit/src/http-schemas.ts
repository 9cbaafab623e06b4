import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import { createSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The body of every error answer: a stable reason for programs and a sentence for people. */
export const ErrorReply = z
  .object({
    error: z.string().describe('why, in a stable form: bad_request, unauthorized, forbidden, not_found, conflict, or a route’s own reason'),
    message: z.string().describe('what was wrong, for a person; for bad_request every problem as `<path>: <problem>`, separated by `; `'),
  })
  .meta({ id: 'Error' });

/** The error answers of a route, each described by when it happens: `errorReplies({ 404: 'no such device' })`. */
export function errorReplies<const C extends number>(reasons: Record<C, string>): Record<C, typeof ErrorReply> {
  const replies = {} as Record<C, typeof ErrorReply>;
  for (const [status, description] of Object.entries(reasons) as [`${C}`, string][]) {
    // `.describe` copies the schema; the copy still refers to the `Error` component.
    replies[Number(status) as C] = ErrorReply.describe(description);
  }
  return replies;
}

/** `<path>: <problem>` for each issue, separated by `; ` (a problem with the whole body says `(body)`). */
export function validationMessage(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`).join('; ');
}

/**
 * A request part (params, query string or body) that does not match its route's schema. The HTTP server
 * answers it `400 {error:'bad_request', message}`; a route with `attachValidation` reads it as
 * `request.validationError` and answers in its own way.
 */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  readonly code = 'FST_ERR_VALIDATION';
  readonly statusCode = 400;
  constructor(readonly issues: readonly z.core.$ZodIssue[], options?: { cause?: unknown }) {
    super(validationMessage(issues), options);
  }
}

function isZodSchema(schema: unknown): schema is z.ZodType {
  return schema instanceof z.ZodType;
}

/**
 * Validates each request part with the zod schema its route declares, replacing it with the parsed value
 * (defaults, coercions). An absent body is read as `{}`, so a body whose fields are all optional may be
 * left out.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart, method, url }) => {
  if (!isZodSchema(schema)) throw new Error(`${method} ${url}: the ${httpPart ?? 'request'} schema must be a zod schema`);
  return (data) => {
    const parsed = schema.safeParse(httpPart === 'body' ? (data ?? {}) : data);
    return parsed.success ? { value: parsed.data } : { error: new RequestValidationError(parsed.error.issues, { cause: parsed.error }) };
  };
};

const zodSerializer = createSerializerCompiler();

/**
 * Serializes a reply as its route's response schema for that status outputs it (fastify-type-provider-zod:
 * a reply that does not match is a 500). Fastify's own errors (a body that is not JSON, …), which it
 * passes through the route's schema too, keep the body Fastify gives them.
 */
export const zodSerializerCompiler: FastifySerializerCompiler<unknown> = (route) => {
  if (!isZodSchema(route.schema)) throw new Error(`${route.method} ${route.url}: the ${route.httpStatus} response schema must be a zod schema`);
  const serialize = zodSerializer({ ...route, schema: route.schema });
  return (data) => {
    if (!(data instanceof Error)) return serialize(data);
    const error = data as Error & { statusCode?: number; code?: string; error?: string };
    return JSON.stringify({ statusCode: error.statusCode, code: error.code, error: error.error, message: error.message });
  };
};
