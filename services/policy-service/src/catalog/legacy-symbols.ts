import { isPolicySymbol, POLICY_CATALOG, type PolicySymbol } from './policy-catalog.js';

/**
 * Older names still accepted on input (old databases, G1 agents, the M2M doc, §A.2) and mapped to the
 * current symbol, which is the only one Flotilla emits. [§B.1 removed or renamed symbols]
 */
export const RENAMED_SYMBOLS = Object.freeze({
  MaximumFailedPasswordsForWipe: 'maximumFailedPasswordsForWipe',
  MaximumTimeToLock: 'maximumTimeToLock',
  // §A.2 names the encryption group's member "storageEncryption / setEncryption"; only the first exists in §B.1.
  setEncryption: 'storageEncryption',
} as const satisfies Record<string, PolicySymbol>);

const REMOVED_IN_2_0 = 'was removed by the Flyve MDM 2.0 upgrade';

/** Symbols that existed once and are refused now, each with why. */
export const REMOVED_SYMBOLS: Readonly<Record<string, string>> = Object.freeze({
  disableFmRadio: REMOVED_IN_2_0,
  disableVoiceMail: REMOVED_IN_2_0,
  disableCallAutoAnswer: REMOVED_IN_2_0,
  disableVoiceDictation: REMOVED_IN_2_0,
  disableUsbOnTheGo: REMOVED_IN_2_0,
  resetPassword: REMOVED_IN_2_0,
  inventoryFrequency: REMOVED_IN_2_0,
  disableSmsMms: REMOVED_IN_2_0,
  disableStreamVoiceCall: REMOVED_IN_2_0,
  disableCreateVpnProfiles: REMOVED_IN_2_0,
  useTLS: 'was removed in May 2018 (TLS is a setting of the broker connection, not a policy)',
});

/** A symbol resolved to the current one, or why it cannot be applied. */
export type SymbolResolution = { ok: true; symbol: PolicySymbol; renamedFrom: string | null } | { ok: false; message: string };

const BY_LOWER_CASE = new Map(Object.keys(POLICY_CATALOG).map((symbol) => [symbol.toLowerCase(), symbol]));

/** The current symbol for a current or renamed name; a removed or unknown name is refused with a message. */
export function resolveSymbol(name: string): SymbolResolution {
  if (isPolicySymbol(name)) return { ok: true, symbol: name, renamedFrom: null };
  if (Object.hasOwn(RENAMED_SYMBOLS, name)) return { ok: true, symbol: RENAMED_SYMBOLS[name as keyof typeof RENAMED_SYMBOLS], renamedFrom: name };
  if (Object.hasOwn(REMOVED_SYMBOLS, name)) return { ok: false, message: `${name} ${REMOVED_SYMBOLS[name]} and can no longer be applied` };
  // Symbols are case-sensitive on the wire (the agent's disableNFC bug); suggest the right spelling.
  const suggestion = BY_LOWER_CASE.get(name.toLowerCase()) ?? (name === 'disableHotspotTethering' ? 'disableHostpotTethering' : undefined);
  return { ok: false, message: `unknown policy ${JSON.stringify(name)}${suggestion ? ` (did you mean ${suggestion}?)` : ''}` };
}
