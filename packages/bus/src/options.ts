import pino, { type Logger } from 'pino';
import { register, type Registry } from 'prom-client';

/** Options of {@link connectBus}. */
export interface BusOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Connection name shown by the server's monitoring. */
  name: string;
  /**
   * Prefix isolating streams, subjects and buckets (tests give each file its own); empty in production.
   * Streams become `<namespace>_<STREAM>` and subjects `<namespace>.<subject>`.
   */
  namespace: string;
  /** Stream and bucket replicas: 1 on one server, 3 in a cluster. */
  replicas: number;
  /** How long to keep retrying the first connection before giving up, in ms. */
  connectTimeoutMs: number;
  logger: Logger;
  metrics: Registry;
  /** Clock for envelopes; injected by tests. */
  now: () => Date;
}

/** Defaults merged under the options passed to {@link connectBus}. */
export function defaultBusOptions(): Omit<BusOptions, 'servers'> {
  return {
    name: 'flotilla',
    namespace: '',
    replicas: 1,
    connectTimeoutMs: 10_000,
    logger: pino({ level: 'silent' }),
    metrics: register,
    now: () => new Date(),
  };
}

const NAMESPACE = /^([a-z][a-z0-9_]{0,30})?$/;

/** Throws on options that contradict each other or cannot work. */
export function validateBusOptions(options: BusOptions): BusOptions {
  if (!NAMESPACE.test(options.namespace)) throw new Error(`bus namespace ${JSON.stringify(options.namespace)} must match ${NAMESPACE}`);
  if (!Number.isInteger(options.replicas) || options.replicas < 1 || options.replicas > 5) throw new Error('replicas must be an integer from 1 to 5');
  if (options.connectTimeoutMs < 0) throw new Error('connectTimeoutMs must not be negative');
  return options;
}
