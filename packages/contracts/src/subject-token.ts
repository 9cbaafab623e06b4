import { z } from 'zod';

/** Characters that NATS gives meaning inside a subject, plus whitespace and control characters. */
const UNSAFE = /[.*>\s\u0000-\u001f\u007f]/u;

/** Longest token accepted; keeps subjects well under NATS' limits and log lines readable. */
export const MAX_SUBJECT_TOKEN_LENGTH = 256;

/** Raised when a value cannot become one token of a NATS subject. */
export class UnsafeSubjectTokenError extends Error {
  override readonly name = 'UnsafeSubjectTokenError';
  readonly code = 'VALIDATION';
  constructor(
    readonly label: string,
    readonly value: string,
  ) {
    super(`${label} ${JSON.stringify(value)} cannot be used in a subject: it must be 1-${MAX_SUBJECT_TOKEN_LENGTH} characters without '.', '*', '>', whitespace or control characters`);
  }
}

/** True when `value` is safe as a single NATS subject token. */
export function isSafeSubjectToken(value: string): boolean {
  return value.length > 0 && value.length <= MAX_SUBJECT_TOKEN_LENGTH && !UNSAFE.test(value);
}

/** Returns `value` unchanged, or throws {@link UnsafeSubjectTokenError} naming `label`. */
export function subjectToken(value: string, label = 'token'): string {
  if (!isSafeSubjectToken(value)) throw new UnsafeSubjectTokenError(label, value);
  return value;
}

/** zod schema of a value that will become one subject token (tenant ids, aggregate ids). */
export const SubjectToken = z.string().refine(isSafeSubjectToken, {
  message: `must be 1-${MAX_SUBJECT_TOKEN_LENGTH} characters without '.', '*', '>', whitespace or control characters`,
});
