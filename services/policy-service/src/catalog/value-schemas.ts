import { z } from 'zod';

// The zod schemas of policy values as operators give them (the canonical form). Their messages say what
// was expected and what came, without the policy's name: parsePolicyValue prefixes it.

/** The largest int value: the agent parses policy ints as Java ints, so a larger value could never apply. */
export const MAX_POLICY_INT = 2_147_483_647;

/** Roots a file destination or path must start with; the agent expands them on the device. [§B.1] */
export const WELL_KNOWN_PATHS = ['%SDCARD%', '%DOCUMENTS%', '%PHOTOS%', '%MUSIC%'] as const;

/** A short rendering of what came, for messages. */
export function shown(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (typeof input === 'number' || typeof input === 'bigint') return String(input); // NaN, Infinity, 1n: not JSON
  const text = typeof input === 'string' ? JSON.stringify(input) : (JSON.stringify(input) ?? String(input));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** A bool policy: on (`true`) or off. */
export const BoolValue = z.boolean({ error: (issue) => `expected true or false, got ${shown(issue.input)}` });

/** An int policy: a whole number from 0 (no maximum in §B.1 beyond the Java int the agent reads). */
export function wholeNumber(description: string) {
  const atLeastZero = (issue: { input?: unknown }) => `expected a whole number ≥ 0, got ${shown(issue.input)}`;
  return z
    .int({ error: atLeastZero })
    .min(0, { error: atLeastZero })
    .max(MAX_POLICY_INT, { error: (issue) => `expected a whole number ≤ ${MAX_POLICY_INT}, got ${shown(issue.input)}` })
    .describe(description);
}

/** A dropdown policy: one of its keys, exactly as they travel. */
export function oneOf<const K extends readonly [string, ...string[]]>(keys: K, description: string) {
  return z.enum(keys, { error: (issue) => `expected one of ${keys.join(', ')}, got ${shown(issue.input)}` }).describe(description);
}

const PACKAGE_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/;

/** An Android application id: two or more dot-separated segments, each a letter then letters, digits or `_`. */
export const AndroidPackageName = z
  .string({ error: (issue) => `expected an Android package name such as org.fdroid.fdroid, got ${shown(issue.input)}` })
  .max(255, { error: 'an Android package name has at most 255 characters' })
  .regex(PACKAGE_NAME, { error: (issue) => `expected an Android package name such as org.fdroid.fdroid, got ${shown(issue.input)}` })
  .meta({ description: 'an Android package name', examples: ['org.fdroid.fdroid'] });

/**
 * The problem with a device path, or undefined: it starts with a well-known path followed by `/` or
 * nothing, has no `/../`, `/./` or `//` (checked after the trailing `/` a directory gets, so `…/..` is
 * caught too) and no control characters. A file path also names a file: it has a segment and no trailing `/`.
 */
export function devicePathProblem(path: string, kind: 'directory' | 'file'): string | undefined {
  const root = WELL_KNOWN_PATHS.find((p) => path === p || path.startsWith(`${p}/`));
  if (!root) return `must start with a well-known path (${WELL_KNOWN_PATHS.join(', ')}), got ${shown(path)}`;
  if (/[\u0000-\u001f\u007f]/.test(path)) return `must not contain control characters, got ${shown(path)}`;
  if (kind === 'file' && (path === root || path.endsWith('/'))) return `must name a file under ${root}/, got ${shown(path)}`;
  const full = kind === 'directory' && !path.endsWith('/') ? `${path}/` : path;
  if (/\/\.\.?(\/|$)/.test(full)) return `must not contain /../ or /./, got ${shown(path)}`;
  if (full.includes('//')) return `must not contain //, got ${shown(path)}`;
  return undefined;
}

// For forms: the JSON Schema shows the root rule as a pattern; the other rules are checked here.
const ROOTS = WELL_KNOWN_PATHS.join('|');

function devicePath(kind: 'directory' | 'file') {
  return z.string({ error: (issue) => `expected a path such as %SDCARD%/docs/, got ${shown(issue.input)}` }).max(1024).superRefine((path, ctx) => {
    const problem = devicePathProblem(path, kind);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** deployFile's destination: a directory, stored and sent with a trailing `/`. [§B.1] */
export const FileDestination = devicePath('directory')
  .meta({ description: 'a directory under a well-known path (a trailing / is added)', pattern: `^(${ROOTS})(/.*)?$`, examples: ['%SDCARD%/docs/'] })
  .transform((path) => (path.endsWith('/') ? path : `${path}/`));

/** removeFile's value: the full path of a file under a well-known path. */
export const FilePath = devicePath('file').meta({ description: 'the full path of a file under a well-known path', pattern: `^(${ROOTS})/.*[^/]$`, examples: ['%SDCARD%/docs/manual.pdf'] });

const Id = (what: string) => z.string({ error: `expected the id of an uploaded ${what}` }).min(1, { error: `expected the id of an uploaded ${what}` }).max(200);
const RemoveOnDelete = (target: string) =>
  z.boolean({ error: (issue) => `expected true or false, got ${shown(issue.input)}` }).default(false).describe(`when the policy is removed, also ${target}`);
const object = (fields: string) => ({ error: (issue: { input?: unknown }) => `expected an object {${fields}}, got ${shown(issue.input)}` });

/** deployApp: which uploaded package, and whether removing the policy uninstalls it. */
export const DeployAppValue = z.object({ packageId: Id('package'), removeOnDelete: RemoveOnDelete('uninstall the application (removeApp)') }, object('packageId, removeOnDelete'));

/** deployFile: which uploaded file, where, and whether removing the policy deletes it. */
export const DeployFileValue = z.object(
  { fileId: Id('file'), destination: FileDestination, removeOnDelete: RemoveOnDelete('delete the file from the device (removeFile)') },
  object('fileId, destination, removeOnDelete'),
);

const LauncherApp = z.object({ name: AndroidPackageName }, object('name'));
const launcherApps = z
  .array(LauncherApp, { error: (issue) => `expected a list of {name}, got ${shown(issue.input)}` })
  .max(100)
  .superRefine((apps, ctx) => {
    const seen = new Set<string>();
    for (const [index, app] of apps.entries()) {
      if (seen.has(app.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `${app.name} is listed twice` });
      seen.add(app.name);
    }
  });

/**
 * The kiosk launcher [§A.2]: `start` or `update` with one package (it autostarts) or several (shown on
 * a desktop); `unlock` ends screen pinning and lists none.
 */
export const LauncherValue = z.discriminatedUnion(
  'code',
  [
    z.object({ code: z.enum(['start', 'update']), data: launcherApps.min(1, { error: 'start and update need at least one package' }) }),
    z.object({ code: z.literal('unlock'), data: z.array(LauncherApp).max(0, { error: 'unlock lists no packages' }).default([]) }),
  ],
  { error: (issue) => `expected {code: start, update or unlock, data: [{name}]}, got ${shown(issue.input)}` },
);
