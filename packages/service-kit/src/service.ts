import type { Bus } from '@flotilla/bus';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** What every service receives from its composition root (its own `main.ts` or the all-in-one launcher). */
export interface ServiceContext {
  bus: Bus;
  logger: Logger;
  metrics: Registry;
  databaseUrl: string;
}

/** A started service. */
export interface RunningService {
  readonly name: string;
  /** HTTP routes under `/api/v1`, if the service has any. */
  readonly routes?: FastifyPluginAsync;
  /** Routes under `/api/v1` that authenticate their callers themselves (devices), not with an operator key. */
  readonly publicRoutes?: FastifyPluginAsync;
  /** Lines telling a person where the service listens, printed at start. */
  readonly endpoints: readonly string[];
  ready(): boolean;
  /** Stops taking work, finishes what is in hand, releases resources. */
  stop(): Promise<void>;
}
