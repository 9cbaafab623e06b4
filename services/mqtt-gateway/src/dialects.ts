import type { Dialect } from '@flotilla/contracts';
import type { Identity } from './auth/authenticator.js';
import { flyveRouter } from './flyve/flyve.router.js';
import type { FlyveStatusContext } from './flyve/status.handler.js';
import type { DialectRouter } from './mqtt/dialect-router.js';

/** A dialect whose topics are not mapped yet: every publish and subscription is refused with a reason. */
function notYetMapped(dialect: Dialect): DialectRouter {
  return {
    maySubscribe: () => false,
    mayPublish: () => false,
    renderCommand: () => undefined,
    publish: async () => ({ kind: 'refused', code: 'topic-invalid', reason: `the ${dialect} dialect's topics are not mapped by this gateway version` }),
  };
}

/** The topic rules of each dialect; an application has its own rules and broker, whatever its dialect field. */
export function routerFor(flyve: FlyveStatusContext, applications: DialectRouter): (identity: Identity) => DialectRouter {
  const routers: Record<Dialect, DialectRouter> = { flyve: flyveRouter(flyve), thingsboard: notYetMapped('thingsboard'), watson: notYetMapped('watson') };
  return (identity) => (identity.application ? applications : routers[identity.dialect]);
}
