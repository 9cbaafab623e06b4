import { createHttpServer, createLogger, parseApiKeys } from '@flotilla/service-kit';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogRoutes } from './catalog.routes.js';

let app: FastifyInstance;
const get = (url: string, key: string | null = 'acme-static-key') => app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

beforeAll(async () => {
  // The real server (zod validation and serialization, operator keys, /docs) with a static key; no NATS or SQL needed.
  app = await createHttpServer({
    logger: createLogger({ level: 'silent', name: 'policy-catalog-test' }),
    metrics: { contentType: 'text/plain', metrics: async () => '' },
    apiKeys: parseApiKeys('acme:acme-static-key'),
    routes: [catalogRoutes()],
    checks: [],
  });
});
afterAll(() => app?.close());

describe('GET /api/v1/policies/catalog', () => {
  it('lists every policy with the JSON Schema of its value', async () => {
    const response = await get('/api/v1/policies/catalog');
    expect(response.statusCode).toBe(200);
    const { items } = response.json();
    expect(items).toHaveLength(42);
    expect(items[0]).toMatchObject({ symbol: 'deployApp', group: 'application', type: 'deployApp', default: null, defaultWire: null, unique: { per: ['packageId'], conflictsWith: 'removeApp' }, androidMin: '4.3', valueSchema: { type: 'object', required: ['packageId'] } });
    expect(items.find((i: { symbol: string }) => i.symbol === 'maximumTimeToLock')).toEqual(expect.objectContaining({ group: 'policies', legacyGroup: 'policies', default: 60000, defaultWire: '60000', unique: true, agentSupport: 'implemented', valueSchema: expect.objectContaining({ type: 'integer', minimum: 0 }) }));
    expect(items.at(-1)).toMatchObject({ symbol: 'launcher', group: 'launcher', legacyGroup: null, agentSupport: 'not implemented' });
  });

  it('needs an operator key', async () => {
    expect((await get('/api/v1/policies/catalog', null)).statusCode).toBe(401);
  });

  it('is documented', async () => {
    const doc = (await get('/docs/openapi.json', null)).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/policies/catalog', '/api/v1/policies/catalog/{symbol}']));
    expect(doc.components.schemas).toHaveProperty('PolicyDefinition');
  });
});

describe('GET /api/v1/policies/catalog/:symbol', () => {
  it('reads one policy', async () => {
    const response = await get('/api/v1/policies/catalog/disableUsbAdb');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ symbol: 'disableUsbAdb', group: 'connectivity', type: 'bool', default: true, defaultWire: 'true', recommended: false, requiresSystem: true, valueSchema: { type: 'boolean' } });
  });

  it('answers 404 for unknown, renamed and removed symbols, saying why', async () => {
    expect(await get('/api/v1/policies/catalog/disableEverything')).toMatchObject({ statusCode: 404 });
    expect((await get('/api/v1/policies/catalog/disableEverything')).json()).toEqual({ error: 'not_found', message: 'unknown policy "disableEverything"' });
    expect((await get('/api/v1/policies/catalog/MaximumTimeToLock')).json()).toEqual({ error: 'not_found', message: 'MaximumTimeToLock is now maximumTimeToLock: ask for /api/v1/policies/catalog/maximumTimeToLock' });
    expect((await get('/api/v1/policies/catalog/useTLS')).json()).toMatchObject({ error: 'not_found', message: expect.stringMatching(/^useTLS was removed/) });
  });
});
