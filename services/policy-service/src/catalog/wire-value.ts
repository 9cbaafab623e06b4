import type { z } from 'zod';
import { resolveSymbol } from './legacy-symbols.js';
import { isPolicySymbol, POLICY_CATALOG, type PolicyDefinition, type PolicySymbol, type PolicyValue } from './policy-catalog.js';

// Values travel as strings [§A.2, §B.1 getBrokerMessage]: bools as "true"/"false", ints as decimal
// strings, dropdowns as the key. Input is accepted both canonical (true, 6) and in those wire forms.

/** Policies whose wire value follows from their value alone; deployApp sends the package *name*, which the package registry holds. */
export type WireEncodedSymbol = Exclude<PolicySymbol, 'deployApp'>;
/** The launcher's message body: it is an object, not a string. [§A.2] */
export interface LauncherWire {
  code: 'start' | 'update' | 'unlock';
  data: { name: string }[];
}
/** What travels as the value of the policy's key. */
export type WireValue<S extends PolicySymbol> = S extends 'launcher' ? LauncherWire : string;

/** A policy value that does not fit its policy. */
export class PolicyValueError extends Error {
  override readonly name = 'PolicyValueError';
  readonly code = 'VALIDATION';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function definitionOf(symbol: PolicySymbol): PolicyDefinition {
  // Callers may hold a symbol that was cast from storage: check it is the catalog's own key.
  if (!isPolicySymbol(symbol)) throw new PolicyValueError(`unknown policy ${JSON.stringify(symbol)}`);
  return POLICY_CATALOG[symbol];
}

function encode(definition: PolicyDefinition, value: unknown): string | LauncherWire {
  switch (definition.type) {
    case 'bool':
      return value ? 'true' : 'false';
    case 'int':
      return String(value);
    case 'enum':
    case 'removeApp':
    case 'removeFile':
      return value as string;
    case 'deployFile': {
      const { destination } = value as PolicyValue<'deployFile'>;
      return destination.endsWith('/') ? destination : `${destination}/`;
    }
    case 'launcher': {
      const { code, data } = value as PolicyValue<'launcher'>;
      return { code, data: data.map(({ name }) => ({ name })) };
    }
    case 'deployApp':
      throw new PolicyValueError('deployApp: its wire value is the package name, which the package registry supplies, not the catalog');
  }
}

/** The wire form of a policy's value; throws {@link PolicyValueError} when the value does not fit the policy. */
export function toWire<S extends WireEncodedSymbol>(symbol: S, value: PolicyValue<S>): WireValue<S> {
  const definition = definitionOf(symbol);
  const parsed = (definition.value as z.ZodType).safeParse(value);
  if (!parsed.success) throw new PolicyValueError(`${symbol}: ${describeIssues(parsed.error.issues)}`, { cause: parsed.error });
  return encode(definition, parsed.data) as WireValue<S>;
}

/** The wire form of a policy's default, sent for the unset members of a group; undefined for deployments and the launcher. */
export function defaultWire(symbol: PolicySymbol): string | undefined {
  const definition = definitionOf(symbol);
  return definition.default === undefined ? undefined : (encode(definition, definition.default) as string);
}

/** A parsed value under its current symbol, or a message naming the policy. */
export type PolicyParseResult<S extends PolicySymbol = PolicySymbol> = { [K in S]: { ok: true; symbol: K; value: PolicyValue<K> } }[S] | { ok: false; message: string };

/** Reads the wire forms ("true", "0"/"1" as §B.1 stored bools, "6") and §A.2's bool passwordEnabled as canonical values. */
function fromWireForm(definition: PolicyDefinition, input: unknown): unknown {
  switch (definition.type) {
    case 'bool':
      return typeof input === 'string' && Object.hasOwn(BOOL_STRINGS, input) ? BOOL_STRINGS[input] : input;
    case 'int':
      return typeof input === 'string' && /^-?\d+(\.\d+)?$/.test(input) ? Number(input) : input;
    case 'enum': {
      if (!('fromBool' in definition)) return input;
      const asBool = typeof input === 'string' && (input === 'true' || input === 'false') ? input === 'true' : input;
      return typeof asBool === 'boolean' ? definition.fromBool[`${asBool}`] : input;
    }
    default:
      return input;
  }
}
const BOOL_STRINGS: Readonly<Record<string, boolean>> = { true: true, false: false, 1: true, 0: false };

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.length ? `${issue.path.map(String).join('.')}: ` : ''}${issue.message}`).join('; ');
}

/**
 * Validates a policy value given by an operator or read from storage: canonical or wire form, under its
 * current or a renamed symbol. Refusals name the policy: `passwordMinLength: expected a whole number ≥ 0, got -1`.
 */
export function parsePolicyValue<S extends PolicySymbol>(symbol: S, input: unknown): PolicyParseResult<S>;
export function parsePolicyValue(symbol: string, input: unknown): PolicyParseResult;
export function parsePolicyValue(symbol: string, input: unknown): PolicyParseResult {
  const resolved = resolveSymbol(symbol);
  if (!resolved.ok) return resolved;
  const definition = definitionOf(resolved.symbol);
  const parsed = (definition.value as z.ZodType).safeParse(fromWireForm(definition, input));
  if (!parsed.success) return { ok: false, message: `${resolved.symbol}: ${describeIssues(parsed.error.issues)}` };
  return { ok: true, symbol: resolved.symbol, value: parsed.data } as PolicyParseResult;
}
