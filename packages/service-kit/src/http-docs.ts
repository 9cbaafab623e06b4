import type { OperatorRole } from '@flotilla/contracts';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { ErrorReply } from './http-schemas.js';

/** Name of the security scheme every operator route requires (an API key sent as a bearer token). */
const API_KEY_SCHEME = 'apiKey';

/**
 * Serves the OpenAPI document of every route registered after it, derived from the zod schemas the routes
 * validate with: the interactive UI at `GET /docs` (assets served from the package, no CDN) and the
 * document at `GET /docs/openapi.json` (and `/docs/json`, which the UI reads). Neither needs a key.
 * Routes outside `/api/` (health, metrics, the docs themselves) are left out.
 */
export async function registerApiDocs(app: FastifyInstance, info: { title: string; version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        ...info,
        description:
          'An `/api/v1` route with security needs an operator API key (`Authorization: Bearer <key>`) whose role is at least the one it names; one without (device enrollment) authenticates its caller itself. ' +
          'Errors answer `{"error": <reason>, "message": <sentence>}`; a request that does not match its schema answers 400 `bad_request` with every problem as `<path>: <problem>`.',
      },
      components: {
        securitySchemes: {
          [API_KEY_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description: 'An operator API key (`flt_…`, issued by `POST /api/v1/api-keys`) or a `FLOTILLA_API_KEYS` key. The roles listed on a route are the least one it needs: viewer < operator < admin.',
          },
        },
      },
    },
    transform: (document) => (document.url.startsWith('/api/') ? jsonSchemaTransform(document) : { schema: { ...document.schema, hide: true }, url: document.url }),
    transformObject: (document) => withoutUnusedSchemas(jsonSchemaTransformObject(document)),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', theme: { title: `${info.title} — API` } });
  app.get('/docs/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

const REF = /"#\/components\/schemas\/([^"]+)"/g;

/**
 * Keeps only the component schemas the paths refer to, directly or through one another: zod's registry
 * holds every schema with an id in the process (and an input twin of each), used here or not.
 */
function withoutUnusedSchemas<D extends { paths?: unknown; components?: { schemas?: Record<string, unknown> } }>(document: D): D {
  const schemas = document.components?.schemas;
  if (!schemas) return document;
  const used = new Set<string>();
  const pending = [...JSON.stringify(document.paths ?? {}).matchAll(REF)].map((match) => match[1]!);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (used.has(name)) continue;
    used.add(name);
    pending.push(...[...JSON.stringify(schemas[name] ?? {}).matchAll(REF)].map((match) => match[1]!));
  }
  return { ...document, components: { ...document.components, schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))) } };
}

/**
 * An `onRoute` hook: a route that validates its body or query string can answer 400 `bad_request`;
 * say so in its responses unless it describes its 400 itself.
 */
export function documentValidation(route: RouteOptions): void {
  const schema = route.schema;
  if (!schema || !(schema.body || schema.querystring)) return;
  const response = (schema.response ?? {}) as Record<string, unknown>;
  if (response['400']) return;
  route.schema = { ...schema, response: { ...response, 400: ErrorReply.describe('the request does not match the schema: `bad_request`, with every problem') } };
}

/**
 * An `onRoute` hook for operator routes: they need the API key scheme with at least `role`, and answer
 * 401 without a valid key and, unless every key may call them, 403 when its role is not enough.
 */
export function documentOperatorAuth(route: RouteOptions, role: OperatorRole): void {
  const schema = route.schema ?? {};
  const forbidden = role === 'viewer' ? {} : { 403: ErrorReply.describe(`the key's role is below ${role}: \`forbidden\``) };
  route.schema = {
    ...schema,
    security: [{ [API_KEY_SCHEME]: [role] }],
    response: { 401: ErrorReply.describe('no API key, or not a valid one: `unauthorized`'), ...forbidden, ...(schema.response as Record<string, unknown> | undefined) },
  };
}
