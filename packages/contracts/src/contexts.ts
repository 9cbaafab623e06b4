/**
 * Bounded contexts of the event backbone. Each has one JetStream stream (UPPERCASE name) holding the
 * subjects `<context>.<tenant>.<aggregate-id>.<EventType>`.
 */
export const CONTEXTS = {
  devices: { stream: 'DEVICES' },
  policies: { stream: 'POLICIES' },
  tasks: { stream: 'TASKS' },
  geo: { stream: 'GEO' },
  telemetry: { stream: 'TELEMETRY' },
  commands: { stream: 'COMMANDS' },
  /** Tenants, operator API keys, invitations and device credentials (digests only); never shown to applications. */
  identity: { stream: 'IDENTITY' },
} as const;

/** Name of a bounded context: the first token of its subjects. */
export type Context = keyof typeof CONTEXTS;

/** Every context name, in declaration order. */
export const CONTEXT_NAMES = Object.keys(CONTEXTS) as Context[];

/** The dead-letter stream and the first token of its subjects. */
export const DEAD_LETTER = { stream: 'DLQ', subjectRoot: 'dlq' } as const;
