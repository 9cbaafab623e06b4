import pino, { type Logger } from 'pino';

/** Structured JSON logger; secrets under common keys are redacted. */
export function createLogger(options: { level: string; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    redact: { paths: ['password', '*.password', 'apiKey', '*.apiKey', 'req.headers.authorization', 'token', '*.token'], censor: '***' },
  });
}
