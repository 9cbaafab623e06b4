import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { tenantForKey, type ApiKeyRecord } from './api-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the authenticated operator acts for; set on every `/api/` request. */
    tenant: string;
  }
}

/** Something that reports whether it can serve (for `/readyz`). */
export interface ReadinessCheck {
  name: string;
  ready(): boolean;
}

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  logger: Logger;
  /** What `/metrics` serves: a registry, or the aggregate of a cluster's workers. */
  metrics: { readonly contentType: string; metrics(): Promise<string> };
  apiKeys: readonly ApiKeyRecord[];
  /** Each service's routes, mounted as they are (paths start with `/api/v1`). */
  routes: readonly FastifyPluginAsync[];
  checks: readonly ReadinessCheck[];
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/**
 * The HTTP server of a service (or of all services in one process): `/healthz`, `/readyz`, `/metrics`
 * and the services' `/api/` routes, every one of which requires an API key and is scoped to its tenant.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger, bodyLimit: 1_048_576 });
  app.decorateRequest('tenant', '');
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const failing = options.checks.filter((check) => !check.ready()).map((check) => check.name);
    return reply.code(failing.length ? 503 : 200).send({ status: failing.length ? 'not ready' : 'ready', failing });
  });
  app.get('/metrics', async (_request, reply) => reply.type(options.metrics.contentType).send(await options.metrics.metrics()));
  await app.register(async (api) => {
    api.addHook('onRequest', async (request, reply) => {
      const key = bearer(request);
      const tenant = key === undefined ? undefined : tenantForKey(options.apiKeys, key);
      if (!tenant) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'an API key is required: Authorization: Bearer <key>' });
      }
      request.tenant = tenant;
    });
    for (const routes of options.routes) await api.register(routes);
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }));
  return app;
}
