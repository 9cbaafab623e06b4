import { createTestBus, uniqueName, type TestBus } from '@flotilla/bus/testing';
import { dropSchema } from '@flotilla/db';
import type { RunningService, ServiceContext } from '@flotilla/service-kit';
import pino from 'pino';
import { testEnvironment } from './environment.js';

/** A service started in this process on a bus namespace and schemas of its own. */
export type InProcessService<S extends RunningService> = TestBus & {
  service: S;
  /** Stops the service, then removes its streams and schemas. */
  stop(): Promise<void>;
};

/**
 * Starts one service in-process against the test NATS and PostgreSQL. `start` receives the service
 * context and a `schema(name)` function that returns a unique schema name, dropped again by `stop`.
 * Give two services the same `namespace` to run them as replicas of one platform.
 */
export async function startServiceInProcess<S extends RunningService>(
  start: (context: ServiceContext, schema: (name: string) => string) => Promise<S>,
  options: { namespace?: string } = {},
): Promise<InProcessService<S>> {
  const { natsUrl, databaseUrl } = testEnvironment();
  const t = await createTestBus(natsUrl, options.namespace);
  const schemas: string[] = [];
  const schema = (name: string) => {
    const unique = `${uniqueName('t_')}_${name}`.slice(0, 63);
    schemas.push(unique);
    return unique;
  };
  const service = await start({ bus: t.bus, logger: pino({ level: 'silent' }), metrics: t.metrics, databaseUrl }, schema);
  return {
    ...t,
    service,
    async stop() {
      await service.stop();
      await t.destroy();
      for (const name of schemas) await dropSchema(databaseUrl, name);
    },
  };
}
