import { errorReplies, type ZodTypeProvider } from '@flotilla/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { resolveSymbol } from './legacy-symbols.js';
import { POLICIES, SPEC_GROUPS, type PolicyDefinition } from './policy-catalog.js';
import { defaultWire } from './wire-value.js';

const Scalar = z.union([z.boolean(), z.number(), z.string()]);
const PolicyEntry = z
  .object({
    symbol: z.string().describe('the policy’s key on the wire, exactly as spelled there'),
    title: z.string(),
    category: z.string().describe('e.g. `Security > Peripherals`'),
    group: z.string().describe(`the group message it is sent in: ${SPEC_GROUPS.join(', ')} (§A.2), or ui, phone, mdm`),
    legacyGroup: z.string().nullable().describe('the legacy Flyve `grp` where the policy had one'),
    type: z.enum(['bool', 'int', 'enum', 'deployApp', 'removeApp', 'deployFile', 'removeFile', 'launcher']),
    default: Scalar.nullable().describe('what a group message sends when the policy is not set; null for deployments and the launcher'),
    defaultWire: z.string().nullable().describe('the default as it travels'),
    recommended: Scalar.nullable(),
    unique: z
      .union([
        z.literal(true),
        z.object({ per: z.array(z.string()).describe('the fields of the value that must differ'), conflictsWith: z.string().nullable().describe('a policy whose task on the target refuses this one'), description: z.string() }),
      ])
      .describe('true: at most one task per fleet or device'),
    onDelete: z.object({ creates: z.string(), description: z.string() }).nullable().describe('the removal task `removeOnDelete` creates when the task is deleted'),
    androidMin: z.string().describe('the least Android version, e.g. 4.3'),
    requiresSystem: z.boolean().describe('the agent needs system privileges to apply it'),
    agentSupport: z.string().describe('implemented, `broken: <why>` or not implemented, in the Flyve Android agent'),
    notes: z.string().nullable(),
    valueSchema: z.record(z.string(), z.unknown()).describe('the JSON Schema of the value to give when applying the policy'),
  })
  .meta({ id: 'PolicyDefinition' });
type PolicyEntry = z.output<typeof PolicyEntry>;
const SymbolParams = z.object({ symbol: z.string().max(100) });
const tags = ['policies'];

function entryOf(policy: PolicyDefinition): PolicyEntry {
  return {
    symbol: policy.symbol,
    title: policy.title,
    category: policy.category,
    group: policy.wireGroup,
    legacyGroup: policy.legacyGroup,
    type: policy.type,
    default: policy.default ?? null,
    defaultWire: defaultWire(policy.symbol) ?? null,
    recommended: policy.recommended ?? null,
    unique: policy.unique,
    onDelete: policy.onDelete,
    androidMin: policy.androidMin,
    requiresSystem: policy.requiresSystem,
    agentSupport: policy.agentSupport,
    notes: policy.notes,
    // `input`: what a client sends (defaults optional, the destination before its trailing `/`).
    valueSchema: z.toJSONSchema(policy.value, { io: 'input' }) as Record<string, unknown>,
  };
}

/** `/api/v1/policies/catalog`: every policy a fleet or device can be given, with the schema of its value, to build forms from. */
export function catalogRoutes(): FastifyPluginAsync {
  // The catalog is code: its answers are computed once.
  const entries = POLICIES.map(entryOf);
  const bySymbol = new Map(entries.map((entry) => [entry.symbol, entry]));
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/api/v1/policies/catalog',
      { schema: { tags, summary: 'Lists every policy, with its value schema, default and requirements', response: { 200: z.object({ items: z.array(PolicyEntry) }).describe('the catalog, in §B.1 order') } } },
      async () => ({ items: entries }),
    );
    app.get(
      '/api/v1/policies/catalog/:symbol',
      { schema: { tags, summary: 'Reads one policy of the catalog', params: SymbolParams, response: { 200: PolicyEntry.describe('the policy'), ...errorReplies({ 404: 'no current policy with this symbol (a renamed one names its successor): `not_found`' }) } } },
      async (request, reply) => {
        const entry = bySymbol.get(request.params.symbol);
        if (entry) return entry;
        const resolved = resolveSymbol(request.params.symbol);
        const message = resolved.ok ? `${request.params.symbol} is now ${resolved.symbol}: ask for /api/v1/policies/catalog/${resolved.symbol}` : resolved.message;
        return reply.code(404).send({ error: 'not_found', message });
      },
    );
  };
}
