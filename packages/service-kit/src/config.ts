import { z } from 'zod';

/** Raised when environment variables do not fit a service's configuration schema. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'VALIDATION';
}

/**
 * Parses `env` with `schema` once and freezes the result. On failure the error lists every offending
 * variable with what was expected, e.g. `HTTP_PORT: expected a number from 1 to 65535, got "abc"`.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (result.success) return Object.freeze(result.data) as Readonly<z.output<S>>;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    const value = env[key];
    return `  ${key}: ${issue.message}${value === undefined ? ' (not set)' : `, got ${JSON.stringify(value)}`}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** A TCP port from an environment variable. */
export const portVar = (fallback: number) => z.coerce.number({ message: 'expected a port number' }).int().min(0, 'expected a number from 0 to 65535').max(65535, 'expected a number from 0 to 65535').default(fallback);

/** A `nats://` URL (comma-separated for several servers). */
export const natsUrlVar = z
  .string()
  .default('nats://127.0.0.1:4222')
  .refine((value) => value.split(',').every((url) => /^(nats|tls|ws|wss):\/\/[^\s]+$/.test(url.trim())), 'expected nats://host:port (comma-separated for several servers)');

/** A `postgres://` URL. */
export const databaseUrlVar = z
  .string()
  .default('postgres://postgres@127.0.0.1:5432/flotilla')
  .refine((value) => /^postgres(ql)?:\/\/\S+$/.test(value), 'expected postgres://user@host:port/database');

/** The pino level of a service. */
export const logLevelVar = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
