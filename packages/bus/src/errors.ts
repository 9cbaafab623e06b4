/** The bus could not reach NATS, or NATS is not usable (e.g. JetStream disabled). */
export class BusConnectionError extends Error {
  override readonly name = 'BusConnectionError';
  readonly code = 'CONNECTION';
}

/** An event did not fit its schema when it was published. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  readonly code = 'VALIDATION';
}

/** A publish with an expected last subject sequence lost against a concurrent writer. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  readonly code = 'CONCURRENCY';
}

/** True when `error` is (or wraps) a zod validation failure. */
export function isValidationError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ZodError' || (error as { code?: string }).code === 'VALIDATION');
}
