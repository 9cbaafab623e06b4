import type { z } from 'zod';
import { AndroidPackageName, BoolValue, DeployAppValue, DeployFileValue, FilePath, LauncherValue, oneOf, wholeNumber } from './value-schemas.js';

// The policy catalog Flotilla ships: the 41 policies of §B.1 (install/policies/*.php of the Flyve backend,
// symbols spelled exactly as on the wire) and the kiosk `launcher` of §A.2. Where §A.2 and §B.1 disagree,
// the entry follows the wire the real agents read (§B.1) and its `notes` say what §A.2 says instead.

/** How a policy's value is typed, which decides its form control and its wire encoding. */
export type PolicyType = 'bool' | 'int' | 'enum' | 'deployApp' | 'removeApp' | 'deployFile' | 'removeFile' | 'launcher';
/** The group keys of §A.2: one retained message per group on `<e>/fleet/<fleet>/<group>`. */
export const SPEC_GROUPS = ['policies', 'camera', 'encryption', 'connectivity', 'application', 'file', 'launcher'] as const;
/**
 * The group a policy is sent in: a §A.2 key, or for the policies §A.2 does not place, the group they
 * travel in instead (`ui` and `phone` as in §B.1; `mdm` for periodicGeolocation, see its notes).
 */
export type WireGroup = (typeof SPEC_GROUPS)[number] | 'ui' | 'phone' | 'mdm';
/** The `grp` field of §B.1 (the G1 topic; still used when a fleet is purged). */
export type LegacyGroup = 'application' | 'file' | 'phone' | 'encryption' | 'policies' | 'camera' | 'connectivity' | 'ui';
/** The least Android version a policy works on. */
export type AndroidVersion = '1.0' | '1.5' | '2.0' | '2.3' | '3.0' | '3.1' | '4.0' | '4.2' | '4.3' | '5.0';
/** What the Flyve Android agent (2018 and HEAD) does with the policy. [§B.1 agent support matrix] */
export type AgentSupport = 'implemented' | `broken: ${string}` | 'not implemented';
/** `true`: at most one task per target (fleet or device). Deployments are unique per a key of their value. */
export type Uniqueness = true | { per: readonly string[]; conflictsWith: 'removeApp' | 'removeFile' | null; description: string };
/** The follow-up task a deployment's `removeOnDelete` creates when its task is deleted. */
export interface OnDelete {
  creates: 'removeApp' | 'removeFile';
  description: string;
}

interface Where {
  category: string;
  wireGroup: WireGroup;
  legacyGroup: LegacyGroup | null;
}
interface Support {
  androidMin: AndroidVersion;
  requiresSystem: boolean;
  agentSupport: AgentSupport;
  notes: string | null;
}
const android = (androidMin: AndroidVersion, options: { sys?: boolean; agent?: AgentSupport; notes?: string } = {}): Support => ({
  androidMin,
  requiresSystem: options.sys ?? false,
  agentSupport: options.agent ?? 'implemented',
  notes: options.notes ?? null,
});
const NOT_IMPLEMENTED = 'not implemented';

function bool(title: string, where: Where, support: Support, defaults: { default: boolean; recommended?: boolean } = { default: false }) {
  return { title, ...where, type: 'bool' as const, value: BoolValue, default: defaults.default, recommended: defaults.recommended, unique: true as const, onDelete: null, ...support };
}
function int(title: string, where: Where, support: Support, unit: string, defaults: { default: number; recommended?: number }) {
  return { title, ...where, type: 'int' as const, value: wholeNumber(unit), default: defaults.default, recommended: defaults.recommended, unique: true as const, onDelete: null, ...support };
}
function dropdown<const K extends readonly [string, ...string[]]>(title: string, where: Where, support: Support, keys: K, defaults: { default: K[number]; recommended?: K[number] }) {
  return { title, ...where, type: 'enum' as const, value: oneOf(keys, title), default: defaults.default, recommended: defaults.recommended, unique: true as const, onDelete: null, ...support };
}

const DEPLOYMENT = (wireGroup: 'application' | 'file'): Where => ({ category: 'Deployment', wireGroup, legacyGroup: wireGroup });
const PASSWORD: Where = { category: 'Security > Authentication > Password', wireGroup: 'policies', legacyGroup: 'policies' };
const PERIPHERALS: Where = { category: 'Security > Peripherals', wireGroup: 'connectivity', legacyGroup: 'connectivity' };
const USB: Where = { category: 'Security > USB', wireGroup: 'connectivity', legacyGroup: 'connectivity' };
const SECURITY_UI: Where = { category: 'Security > User interface', wireGroup: 'ui', legacyGroup: 'ui' };
const CONFIG_UI: Where = { category: 'Configuration > User interface', wireGroup: 'ui', legacyGroup: 'ui' };
const PASSWORD_3 = android('3.0');
const PASCAL_CASE = 'G1 agents and the M2M doc (and §A.2) spell it with a capital M; that name is accepted and mapped here';
const none = { default: undefined, recommended: undefined };

const DEFINITIONS = {
  deployApp: {
    title: 'Deploy an application', ...DEPLOYMENT('application'), type: 'deployApp' as const, value: DeployAppValue, ...none,
    unique: { per: ['packageId'], conflictsWith: 'removeApp', description: 'one task per target and package; refused while a removeApp task is on the same target' } satisfies Uniqueness,
    onDelete: { creates: 'removeApp', description: 'with removeOnDelete, deleting the task creates removeApp of the package name on the same target (not when the fleet itself is deleted)' } satisfies OnDelete,
    ...android('4.3', { notes: 'the message carries the package name, its id and versionCode (the M2M doc says version)' }),
  },
  removeApp: {
    title: 'Remove an application', ...DEPLOYMENT('application'), type: 'removeApp' as const, value: AndroidPackageName, ...none,
    unique: { per: ['value'], conflictsWith: null, description: 'one task per target and package name' } satisfies Uniqueness, onDelete: null, ...android('4.3'),
  },
  deployFile: {
    title: 'Deploy a file', ...DEPLOYMENT('file'), type: 'deployFile' as const, value: DeployFileValue, ...none,
    unique: { per: ['fileId', 'destination'], conflictsWith: 'removeFile', description: 'one task per target, file and destination; refused while a removeFile task whose value is that destination is on the target' } satisfies Uniqueness,
    onDelete: { creates: 'removeFile', description: 'with removeOnDelete, deleting the task creates removeFile of the destination plus the file name on the same target (not when the fleet itself is deleted)' } satisfies OnDelete,
    ...android('4.2'),
  },
  removeFile: {
    title: 'Remove a file', ...DEPLOYMENT('file'), type: 'removeFile' as const, value: FilePath, ...none,
    unique: { per: ['value'], conflictsWith: null, description: 'one task per target and path' } satisfies Uniqueness, onDelete: null, ...android('4.2'),
  },
  disableUnknownAppSources: bool('Disable installs from unknown sources', { category: 'Deployment', wireGroup: 'phone', legacyGroup: 'phone' }, android('2.3', { sys: true, agent: NOT_IMPLEMENTED })),
  storageEncryption: bool('Encrypt the storage', { category: 'Security > Encryption', wireGroup: 'encryption', legacyGroup: 'encryption' }, android('3.0', { agent: 'broken: the agent calls disableStatusBar instead', notes: '§A.2 also names it setEncryption; that name is accepted and mapped here' })),
  periodicGeolocation: int('Report the position periodically', { category: 'MDM > Geolocation', wireGroup: 'mdm', legacyGroup: 'encryption' }, android('3.0', { agent: NOT_IMPLEMENTED, notes: '§B.1 files it in the encryption group (sic); it is sent in its own mdm group so the encryption message carries only encryption' }), 'seconds between two reports; 0 turns it off', { default: 0 }),
  passwordEnabled: {
    ...dropdown('Password enabled', PASSWORD, android('3.0', { notes: '§A.2 calls it a bool: true is read as PASSWORD_PIN, false as PASSWORD_NONE' }), ['PASSWORD_NONE', 'PASSWORD_PIN', 'PASSWORD_PASSWD'], { default: 'PASSWORD_NONE', recommended: 'PASSWORD_PIN' }),
    fromBool: { true: 'PASSWORD_PIN', false: 'PASSWORD_NONE' } as const,
  },
  passwordQuality: dropdown('Password quality', PASSWORD, android('3.0', { agent: 'broken: the agent’s class uses the wrong symbol name, so it never fires' }), ['PASSWORD_QUALITY_UNSPECIFIED', 'PASSWORD_QUALITY_SOMETHING', 'PASSWORD_QUALITY_NUMERIC', 'PASSWORD_QUALITY_ALPHABETIC', 'PASSWORD_QUALITY_ALPHANUMERIC', 'PASSWORD_QUALITY_COMPLEX'], { default: 'PASSWORD_QUALITY_UNSPECIFIED' }),
  passwordMinLength: int('Minimum password length', PASSWORD, PASSWORD_3, 'number of characters', { default: 0, recommended: 6 }),
  passwordMinLetters: int('Minimum letters in the password', PASSWORD, PASSWORD_3, 'number of letters', { default: 0 }),
  passwordMinLowerCase: int('Minimum lowercase letters in the password', PASSWORD, PASSWORD_3, 'number of lowercase letters', { default: 0, recommended: 1 }),
  passwordMinUpperCase: int('Minimum uppercase letters in the password', PASSWORD, PASSWORD_3, 'number of uppercase letters', { default: 0, recommended: 1 }),
  passwordMinNonLetter: int('Minimum non-letter characters in the password', PASSWORD, PASSWORD_3, 'number of non-letter characters', { default: 0 }),
  passwordMinNumeric: int('Minimum digits in the password', PASSWORD, PASSWORD_3, 'number of digits', { default: 0, recommended: 1 }),
  passwordMinSymbols: int('Minimum symbols in the password', PASSWORD, PASSWORD_3, 'number of symbols', { default: 0 }),
  maximumFailedPasswordsForWipe: int('Failed unlock attempts before wipe', PASSWORD, android('3.0', { notes: PASCAL_CASE }), 'number of failed attempts; 0 never wipes', { default: 0, recommended: 5 }),
  maximumTimeToLock: int('Maximum time to lock', PASSWORD, android('3.0', { notes: PASCAL_CASE }), 'milliseconds of inactivity before the screen locks; 0 sets no limit', { default: 60000, recommended: 60000 }),
  disableCamera: bool('Disable the camera', { category: 'Security > Peripherals', wireGroup: 'camera', legacyGroup: 'camera' }, android('4.0')),
  disableWifi: bool('Disable Wi-Fi', PERIPHERALS, android('1.0')),
  disableBluetooth: bool('Disable Bluetooth', PERIPHERALS, android('2.0')),
  disableRoaming: bool('Disable data roaming', PERIPHERALS, android('5.0')),
  disableGPS: bool('Disable GPS', PERIPHERALS, android('1.5', { sys: true })),
  disableMobileLine: bool('Disable the mobile line', PERIPHERALS, android('5.0', { sys: true })),
  disableNfc: bool('Disable NFC', PERIPHERALS, android('4.3', { sys: true, agent: 'broken: the agent reads the JSON key disableNFC, so it never fires' })),
  disableHostpotTethering: bool('Disable hotspot and tethering', PERIPHERALS, android('5.0', { notes: 'misspelled (Hostpot) on the wire, as the backend and agent spell it' })),
  disableAirplaneMode: bool('Disable airplane mode', PERIPHERALS, android('4.2', { sys: true })),
  disableSpeakerphone: bool('Disable the speakerphone', PERIPHERALS, android('5.0')),
  disableUsbMtp: bool('Disable USB file transfer (MTP)', USB, android('3.1', { sys: true })),
  disableUsbPtp: bool('Disable USB photo transfer (PTP)', USB, android('3.1', { sys: true })),
  disableUsbAdb: bool('Disable USB debugging (ADB)', USB, android('4.2', { sys: true, notes: 'the only bool whose default is true (ADB off); false is recommended' }), { default: true, recommended: false }),
  disableStatusBar: bool('Disable the status bar', SECURITY_UI, android('4.3', { sys: true })),
  disableScreenCapture: bool('Disable screen capture', SECURITY_UI, android('5.0', { sys: true })),
  disableStreamMusic: bool('Mute the music stream', CONFIG_UI, android('5.0')),
  disableStreamRing: bool('Mute the ring stream', CONFIG_UI, android('5.0')),
  disableStreamAlarm: bool('Mute the alarm stream', CONFIG_UI, android('5.0')),
  disableStreamNotification: bool('Mute the notification stream', CONFIG_UI, android('5.0')),
  disableStreamDTMF: bool('Mute the DTMF stream', CONFIG_UI, android('5.0', { agent: 'broken: the agent wires it to the VoiceCall class, so it never fires' })),
  disableStreamAccessibility: bool('Mute the accessibility stream', CONFIG_UI, android('5.0', { sys: true, notes: 'the agent applies it only on Android SDK > 26' })),
  disableStreamSystem: bool('Mute the system stream', CONFIG_UI, android('5.0', { sys: true, agent: NOT_IMPLEMENTED })),
  defaultStreamType: dropdown('Default ringer mode', CONFIG_UI, android('5.0', { sys: true, agent: NOT_IMPLEMENTED, notes: 'G3 agents treat any payload containing "default" as a removal, so this one is always swallowed' }), ['RINGER_MODE_NORMAL', 'RINGER_MODE_SILENT', 'RINGER_MODE_VIBRATE'], { default: 'RINGER_MODE_NORMAL' }),
  launcher: {
    title: 'Kiosk launcher', category: 'Configuration > Launcher', wireGroup: 'launcher' as const, legacyGroup: null, type: 'launcher' as const, value: LauncherValue, ...none, unique: true as const, onDelete: null,
    ...android('5.0', { agent: NOT_IMPLEMENTED, notes: '§A.2 only (Uhuru), never in the Flyve backend; Android 5.0 because unlock ends screen pinning, which 5.0 introduced' }),
  },
};

/** A policy symbol, spelled exactly as it travels. */
export type PolicySymbol = keyof typeof DEFINITIONS;
/** One catalog entry; `value` is the zod schema of the canonical value an operator gives. */
export type PolicyDefinition<S extends PolicySymbol = PolicySymbol> = (typeof DEFINITIONS)[S] & { readonly symbol: S };
/** The canonical value of a policy (what `value` outputs). */
export type PolicyValue<S extends PolicySymbol> = z.output<(typeof DEFINITIONS)[S]['value']>;

/** Every policy by symbol, in §B.1 order, then `launcher`. */
export const POLICY_CATALOG = Object.freeze(
  Object.fromEntries(Object.entries(DEFINITIONS).map(([symbol, definition]) => [symbol, Object.freeze({ symbol, ...definition })])),
) as { readonly [S in PolicySymbol]: PolicyDefinition<S> };
/** Every policy, in catalog order. */
export const POLICIES: readonly PolicyDefinition[] = Object.freeze(Object.values(POLICY_CATALOG));

/** True when `name` is a current symbol (exact spelling). */
export function isPolicySymbol(name: string): name is PolicySymbol {
  return Object.hasOwn(POLICY_CATALOG, name);
}
