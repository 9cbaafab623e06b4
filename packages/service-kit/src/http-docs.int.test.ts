import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseApiKeys } from './api-keys.js';
import { createHttpServer } from './http-server.js';
import { errorReplies, type ZodTypeProvider } from './index.js';

const KEY = 'acme-static-key';
const Widget = z.object({ id: z.string(), name: z.string(), size: z.number().int() });
const AddWidget = z.object({ name: z.string().min(1).max(40), size: z.number().int().min(1).default(1) });
const ListQuery = z.object({ colour: z.enum(['red', 'blue']).optional(), limit: z.coerce.number().int().min(1).max(50).default(10) });

/** Routes declared the way services declare theirs: one schema per part, validated and documented. */
const widgetRoutes: FastifyPluginAsync = async (fastify) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/api/v1/things/:thingId/widgets',
    { schema: { tags: ['widgets'], summary: 'Adds a widget to a thing', params: z.object({ thingId: z.string() }), body: AddWidget, response: { 201: Widget, ...errorReplies({ 404: 'no such thing' }) } } },
    async (request, reply) => {
      if (request.params.thingId === 'missing') return reply.code(404).send({ error: 'not_found', message: 'no thing missing' });
      return reply.code(201).send({ id: `${request.tenant}-1`, name: request.body.name, size: request.body.size });
    },
  );
  app.get(
    '/api/v1/things/:thingId/widgets',
    { schema: { tags: ['widgets'], summary: 'Lists the widgets of a thing', params: z.object({ thingId: z.string() }), querystring: ListQuery, response: { 200: z.object({ items: z.array(Widget), limit: z.number() }) } } },
    async (request) => ({ items: [], limit: request.query.limit }),
  );
  app.get('/api/v1/broken', { schema: { response: { 200: Widget } } }, async () => ({ id: 'w', name: 'w' }) as unknown as z.output<typeof Widget>);
};
const publicRoutes: FastifyPluginAsync = async (fastify) => {
  fastify.withTypeProvider<ZodTypeProvider>().post('/api/v1/pings', { schema: { tags: ['pings'], summary: 'Public', body: z.object({ from: z.string() }), response: { 204: z.undefined().describe('received') } } }, async (_request, reply) => reply.code(204).send());
};

let app: FastifyInstance;
let base: string;
// Answers are read as whatever each test expects of them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: string, path: string, options: { key?: string; body?: string } = {}): Promise<{ status: number; type: string; body: any }> {
  const headers: Record<string, string> = options.key ? { authorization: `Bearer ${options.key}` } : {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: options.body });
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  return { status: response.status, type, body: type.startsWith('application/json') && text ? JSON.parse(text) : text };
}

beforeAll(async () => {
  app = await createHttpServer({ logger: pino({ level: 'silent' }), metrics: new Registry(), apiKeys: parseApiKeys(`acme:${KEY}`), routes: [widgetRoutes], publicRoutes: [publicRoutes], checks: [] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(() => app?.close());

describe('the OpenAPI document', () => {
  it('is derived from the routes’ zod schemas', async () => {
    const { status, type, body: doc } = await call('GET', '/docs/openapi.json');
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/v1/broken', '/api/v1/pings', '/api/v1/things/{thingId}/widgets']);

    const add = doc.paths['/api/v1/things/{thingId}/widgets'].post;
    expect(add).toMatchObject({ tags: ['widgets'], summary: 'Adds a widget to a thing' });
    expect(add.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'thingId', required: true, schema: { type: 'string' } })]);
    const body = add.requestBody.content['application/json'].schema;
    expect(body).toMatchObject({ type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 40 }, size: { type: 'integer', minimum: 1, default: 1 } } });
    expect(Object.keys(add.responses).sort()).toEqual(['201', '400', '401', '403', '404']);
    expect(add.responses['201'].content['application/json'].schema).toMatchObject({ type: 'object', required: ['id', 'name', 'size'] });
    expect(add.responses['404']).toMatchObject({ description: 'no such thing', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    expect(doc.components.schemas).toEqual({ Error: expect.objectContaining({ type: 'object', required: ['error', 'message'] }) });

    const list = doc.paths['/api/v1/things/{thingId}/widgets'].get;
    expect(list.parameters.filter((p: { in: string }) => p.in === 'query')).toEqual([
      expect.objectContaining({ name: 'colour', required: false, schema: { type: 'string', enum: ['red', 'blue'] } }),
      expect.objectContaining({ name: 'limit', required: false, schema: expect.objectContaining({ type: 'integer', default: 10, maximum: 50 }) }),
    ]);
    expect(Object.keys(list.responses).sort()).toEqual(['200', '400', '401']); // every key may read
  });

  it('requires the API key with the route’s least role on operator routes, and nothing on public ones', async () => {
    const { body: doc } = await call('GET', '/docs/openapi.json');
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/api/v1/things/{thingId}/widgets'].post.security).toEqual([{ apiKey: ['operator'] }]);
    expect(doc.paths['/api/v1/things/{thingId}/widgets'].get.security).toEqual([{ apiKey: ['viewer'] }]);
    const ping = doc.paths['/api/v1/pings'].post;
    expect(ping.security).toBeUndefined();
    expect(Object.keys(ping.responses).sort()).toEqual(['204', '400']);
    expect(ping.responses['204']).toEqual({ description: 'received' });
  });

  it('is served with its interactive UI, from this server, without a key', async () => {
    const page = await call('GET', '/docs');
    expect(page).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/html/) });
    expect(page.body).toContain('swagger-ui-bundle.js');
    expect(page.body).not.toMatch(/https?:\/\//);
    expect(await call('GET', '/docs/static/swagger-ui-bundle.js')).toMatchObject({ status: 200, type: expect.stringMatching(/javascript/) });
    expect((await call('GET', '/docs/json')).body.paths).toHaveProperty(['/api/v1/pings']);
  });
});

describe('routes declared with zod schemas', () => {
  it('still need a key', async () => {
    expect(await call('GET', '/api/v1/things/t/widgets')).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(await call('POST', '/api/v1/things/t/widgets', { key: 'wrong', body: '{"name":"x"}' })).toMatchObject({ status: 401 });
  });

  it('answer 400 bad_request listing every problem, and get parsed values', async () => {
    expect(await call('POST', '/api/v1/things/t/widgets', { key: KEY, body: '{"size":0}' })).toEqual({
      status: 400,
      type: expect.stringMatching(/^application\/json/),
      body: { error: 'bad_request', message: 'name: Invalid input: expected string, received undefined; size: Too small: expected number to be >=1' },
    });
    expect((await call('POST', '/api/v1/things/t/widgets', { key: KEY })).body).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/^name: /) });
    expect(await call('GET', '/api/v1/things/t/widgets?limit=0&colour=green', { key: KEY })).toMatchObject({ status: 400, body: { error: 'bad_request', message: expect.stringMatching(/^colour: .*; limit: /) } });
    expect(await call('GET', '/api/v1/things/t/widgets?limit=7', { key: KEY })).toMatchObject({ status: 200, body: { items: [], limit: 7 } });
    expect(await call('POST', '/api/v1/things/t/widgets', { key: KEY, body: '{"name":"gear","extra":1}' })).toMatchObject({ status: 201, body: { id: 'acme-1', name: 'gear', size: 1 } });
    expect(await call('POST', '/api/v1/things/missing/widgets', { key: KEY, body: '{"name":"gear"}' })).toMatchObject({ status: 404, body: { error: 'not_found', message: 'no thing missing' } });
  });

  it('keep Fastify’s own answers to a body that is not JSON, and refuse to send what their schema does not allow', async () => {
    expect(await call('POST', '/api/v1/things/t/widgets', { key: KEY, body: '{' })).toMatchObject({ status: 400, body: { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY', error: 'Bad Request' } });
    expect(await call('GET', '/api/v1/broken', { key: KEY })).toMatchObject({ status: 500 });
    expect(await call('POST', '/api/v1/pings', { body: '{"from":"device"}' })).toMatchObject({ status: 204 });
  });
});
