import type { OperatorRole } from '@flotilla/contracts';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ApiKeyRecord } from './api-keys.js';
import { documentOperatorAuth, documentValidation, registerApiDocs } from './http-docs.js';
import { RequestValidationError, zodSerializerCompiler, zodValidatorCompiler } from './http-schemas.js';
import { authenticateOperator, roleAllows, type OperatorKeyLookup } from './operator-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the authenticated operator acts for; set on every authenticated `/api/` request. */
    tenant: string;
    /** The operator's role; set with {@link FastifyRequest.tenant}. */
    role: OperatorRole;
  }
  interface FastifyContextConfig {
    /** Least role a route needs; by default `viewer` for GET/HEAD and `operator` for anything else. */
    role?: OperatorRole;
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
  /** Static keys (`FLOTILLA_API_KEYS`): each is an admin of its tenant. */
  apiKeys: readonly ApiKeyRecord[];
  /** Issued operator keys (the `operator-keys` bucket), when the process can read it. */
  operatorKeys?: OperatorKeyLookup;
  /** Title of the OpenAPI document served at `/docs`; `Flotilla` by default. */
  title?: string;
  /**
   * Each service's routes, mounted as they are (paths start with `/api/v1`); every request needs an operator key.
   * Routes declare their params, query string, body and responses as zod schemas, with a summary and tags:
   * requests are validated against them and the OpenAPI document at `/docs` is derived from them.
   */
  routes: readonly FastifyPluginAsync[];
  /** Routes that authenticate their callers themselves (device enrollment, device downloads). */
  publicRoutes?: readonly FastifyPluginAsync[];
  checks: readonly ReadinessCheck[];
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The least role a route needs: its `config.role`, else `viewer` to read and `operator` to change. */
function requiredRole(method: string, config: { role?: OperatorRole } | undefined): OperatorRole {
  return config?.role ?? (READS.has(method) ? 'viewer' : 'operator');
}

/**
 * The HTTP server of a service (or of all services in one process): `/healthz`, `/readyz`, `/metrics`,
 * the OpenAPI document and its UI at `/docs`, and the services' `/api/` routes, every one of which
 * requires an operator key, is scoped to its tenant, and checks the key's role. Routes validate with
 * the zod schemas they declare; a request that does not match answers 400 `{error:'bad_request', message}`.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger, bodyLimit: 1_048_576 });
  app.decorateRequest('tenant', '');
  app.decorateRequest('role', 'viewer');
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);
  app.setErrorHandler((error, _request, reply) => {
    if (!(error instanceof RequestValidationError)) throw error; // Fastify's own handler answers the rest, as before
    void reply.code(400).send({ error: 'bad_request', message: error.message });
  });
  app.addHook('onRoute', documentValidation);
  await registerApiDocs(app, { title: options.title ?? 'Flotilla', version: '1' });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const failing = options.checks.filter((check) => !check.ready()).map((check) => check.name);
    return reply.code(failing.length ? 503 : 200).send({ status: failing.length ? 'not ready' : 'ready', failing });
  });
  app.get('/metrics', async (_request, reply) => reply.type(options.metrics.contentType).send(await options.metrics.metrics()));
  for (const routes of options.publicRoutes ?? []) await app.register(routes);
  await app.register(async (api) => {
    api.addHook('onRequest', async (request, reply) => {
      const key = bearer(request);
      const principal = key === undefined ? undefined : await authenticateOperator(key, options.apiKeys, options.operatorKeys);
      if (!principal) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'an API key is required: Authorization: Bearer <key>' });
      }
      const required = requiredRole(request.method, request.routeOptions.config);
      if (!roleAllows(principal.role, required)) {
        return reply.code(403).send({ error: 'forbidden', message: `this needs the ${required} role; the key has ${principal.role}` });
      }
      request.tenant = principal.tenant;
      request.role = principal.role;
    });
    api.addHook('onRoute', (route) => {
      const method = Array.isArray(route.method) ? route.method[0]! : route.method;
      documentOperatorAuth(route, requiredRole(method, route.config));
    });
    for (const routes of options.routes) await api.register(routes);
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }));
  return app;
}
