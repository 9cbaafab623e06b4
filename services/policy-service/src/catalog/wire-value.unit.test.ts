import { describe, expect, it } from 'vitest';
import { POLICIES, type PolicyDefinition, type PolicySymbol } from './policy-catalog.js';
import { MAX_POLICY_INT } from './value-schemas.js';
import { defaultWire, parsePolicyValue, PolicyValueError, toWire, type WireEncodedSymbol } from './wire-value.js';

type Case = [input: unknown, value: unknown];
/** Valid inputs (with the canonical value each gives) and invalid ones, generated from the policy's type. */
function generated(policy: PolicyDefinition): { valid: Case[]; invalid: unknown[] } | undefined {
  switch (policy.type) {
    case 'bool':
      return { valid: [[true, true], [false, false], ['true', true], ['false', false], ['1', true], ['0', false]], invalid: [null, undefined, 'yes', 'TRUE', 'True', 1, 0, '', 'default', {}, [true]] };
    case 'int': {
      const d = policy.default as number;
      return {
        valid: [[0, 0], [1, 1], [d, d], [MAX_POLICY_INT, MAX_POLICY_INT], ['0', 0], ['6', 6], [String(d), d]],
        invalid: [-1, 1.5, MAX_POLICY_INT + 1, Number.NaN, Number.POSITIVE_INFINITY, '-1', '6.5', ' 6', '', 'six', 'default', true, null, undefined, '0x10'],
      };
    }
    case 'enum': {
      const keys = (policy.value as { options: string[] }).options;
      const bools: Case[] = 'fromBool' in policy ? [[true, 'PASSWORD_PIN'], [false, 'PASSWORD_NONE'], ['true', 'PASSWORD_PIN'], ['false', 'PASSWORD_NONE']] : [];
      return { valid: [...keys.map((k): Case => [k, k]), ...bools], invalid: [...keys.map((k) => k.toLowerCase()), `${keys[0]}_X`, '', 'default', 1, null, ...('fromBool' in policy ? [] : [true, 'true'])] };
    }
    default:
      return undefined;
  }
}
const scalar = POLICIES.filter((p) => generated(p));
const ok = (symbol: PolicySymbol, value: unknown) => ({ ok: true, symbol, value });
const refusedNaming = (symbol: PolicySymbol) => ({ ok: false, message: expect.stringMatching(new RegExp(`^${symbol}: \\S`)) });

describe('parsePolicyValue over the whole catalog', () => {
  it.each(scalar.map((p) => [p.symbol, p] as const))('%s accepts its default, its valid values and their wire forms', (symbol, policy) => {
    expect(parsePolicyValue(symbol, policy.default)).toEqual(ok(symbol, policy.default));
    expect(parsePolicyValue(symbol, defaultWire(symbol))).toEqual(ok(symbol, policy.default));
    if (policy.recommended !== undefined) expect(parsePolicyValue(symbol, policy.recommended)).toEqual(ok(symbol, policy.recommended));
    for (const [input, value] of generated(policy)!.valid) expect(parsePolicyValue(symbol, input), JSON.stringify(input)).toEqual(ok(symbol, value));
  });

  it.each(scalar.map((p) => [p.symbol, p] as const))('%s refuses invalid values with a message naming it', (symbol, policy) => {
    for (const input of generated(policy)!.invalid) expect(parsePolicyValue(symbol, input), String(input)).toEqual(refusedNaming(symbol));
  });

  it('says what was expected and what came', () => {
    expect(parsePolicyValue('passwordMinLength', -1)).toEqual({ ok: false, message: 'passwordMinLength: expected a whole number ≥ 0, got -1' });
    expect(parsePolicyValue('passwordMinLength', '-1')).toEqual({ ok: false, message: 'passwordMinLength: expected a whole number ≥ 0, got -1' });
    expect(parsePolicyValue('maximumTimeToLock', 2 ** 31)).toEqual({ ok: false, message: 'maximumTimeToLock: expected a whole number ≤ 2147483647, got 2147483648' });
    expect(parsePolicyValue('disableCamera', 'default')).toEqual({ ok: false, message: 'disableCamera: expected true or false, got "default"' });
    expect(parsePolicyValue('defaultStreamType', 'LOUD')).toEqual({ ok: false, message: 'defaultStreamType: expected one of RINGER_MODE_NORMAL, RINGER_MODE_SILENT, RINGER_MODE_VIBRATE, got "LOUD"' });
  });
});

describe('parsePolicyValue for deployments and the launcher', () => {
  const refused = (symbol: PolicySymbol, inputs: unknown[]) => {
    for (const input of inputs) expect(parsePolicyValue(symbol, input), JSON.stringify(input)).toEqual(refusedNaming(symbol));
  };

  it('deployApp takes an uploaded package and the remove-on-delete flag', () => {
    expect(parsePolicyValue('deployApp', { packageId: '4' })).toEqual(ok('deployApp', { packageId: '4', removeOnDelete: false }));
    expect(parsePolicyValue('deployApp', { packageId: '4', removeOnDelete: true })).toEqual(ok('deployApp', { packageId: '4', removeOnDelete: true }));
    refused('deployApp', [undefined, null, 'org.fdroid.fdroid', {}, { packageId: '' }, { packageId: 4 }, { packageId: '4', removeOnDelete: 'yes' }]);
    expect(parsePolicyValue('deployApp', {})).toEqual({ ok: false, message: 'deployApp: packageId: expected the id of an uploaded package' });
  });

  it('deployFile’s destination starts with a well-known path, has no /../ /./ //, and ends with /', () => {
    const destination = (d: string) => parsePolicyValue('deployFile', { fileId: '7', destination: d });
    for (const [given, stored] of [['%SDCARD%', '%SDCARD%/'], ['%SDCARD%/', '%SDCARD%/'], ['%SDCARD%/docs', '%SDCARD%/docs/'], ['%DOCUMENTS%/a/b/', '%DOCUMENTS%/a/b/'], ['%PHOTOS%/x', '%PHOTOS%/x/'], ['%MUSIC%/..hidden', '%MUSIC%/..hidden/']]) {
      expect(destination(given!)).toEqual(ok('deployFile', { fileId: '7', destination: stored, removeOnDelete: false }));
    }
    for (const bad of ['%SDCARD%/../x', '/sdcard/x', '%SDCARD%//x', '%SDCARD%/./x', '%SDCARD%/x/..', '%SDCARD%/x/.', '%SDCARD%/x//', '%SDCARD%x', '%sdcard%/x', 'sdcard', '', '%SDCARD%/a\u0000b']) {
      expect(destination(bad), bad).toEqual({ ok: false, message: expect.stringMatching(/^deployFile: destination: must /) });
    }
    expect(destination('%SDCARD%/../x')).toEqual({ ok: false, message: 'deployFile: destination: must not contain /../ or /./, got "%SDCARD%/../x"' });
    expect(destination('/sdcard/x')).toEqual({ ok: false, message: 'deployFile: destination: must start with a well-known path (%SDCARD%, %DOCUMENTS%, %PHOTOS%, %MUSIC%), got "/sdcard/x"' });
    expect(destination('%SDCARD%//x')).toEqual({ ok: false, message: 'deployFile: destination: must not contain //, got "%SDCARD%//x"' });
    refused('deployFile', [null, '%SDCARD%/docs/', { destination: '%SDCARD%/' }, { fileId: '7' }]);
  });

  it('removeApp takes an Android package name', () => {
    for (const name of ['org.fdroid.fdroid', 'com.example_1.App2', 'a.b']) expect(parsePolicyValue('removeApp', name)).toEqual(ok('removeApp', name));
    refused('removeApp', ['fdroid', 'org..fdroid', '1org.fdroid', 'org.1fdroid', 'org.fdroid.', '.org.fdroid', 'org.f-droid', 'org fdroid.x', 'org._x', '', `${'a'.repeat(250)}.bb.cc`, 42, null]);
    expect(parsePolicyValue('removeApp', 'fdroid')).toEqual({ ok: false, message: 'removeApp: expected an Android package name such as org.fdroid.fdroid, got "fdroid"' });
  });

  it('removeFile takes the full path of a file under a well-known path', () => {
    for (const path of ['%SDCARD%/docs/manual.pdf', '%MUSIC%/a.mp3']) expect(parsePolicyValue('removeFile', path)).toEqual(ok('removeFile', path));
    refused('removeFile', ['%SDCARD%/docs/', '%SDCARD%', '%SDCARD%/', '/sdcard/a.pdf', '%SDCARD%/../a.pdf', '%SDCARD%//a.pdf', '%SDCARD%/docs/.', '%SDCARD%/docs/..', 'manual.pdf', null]);
  });

  it('launcher starts one package, shows several, or unlocks', () => {
    const apps = (...names: string[]) => names.map((name) => ({ name }));
    expect(parsePolicyValue('launcher', { code: 'start', data: apps('org.fdroid.fdroid') })).toEqual(ok('launcher', { code: 'start', data: apps('org.fdroid.fdroid') }));
    expect(parsePolicyValue('launcher', { code: 'update', data: apps('a.b', 'c.d') })).toEqual(ok('launcher', { code: 'update', data: apps('a.b', 'c.d') }));
    expect(parsePolicyValue('launcher', { code: 'unlock' })).toEqual(ok('launcher', { code: 'unlock', data: [] }));
    refused('launcher', [null, 'start', { code: 'start', data: [] }, { code: 'start' }, { code: 'stop', data: apps('a.b') }, { code: 'start', data: apps('fdroid') }, { code: 'unlock', data: apps('a.b') }, { code: 'update', data: apps('a.b', 'a.b') }]);
  });
});

describe('wire encoding', () => {
  it('sends bools as "true"/"false", ints as decimal strings and dropdowns as their key', () => {
    expect(toWire('disableCamera', true)).toBe('true');
    expect(toWire('disableCamera', false)).toBe('false');
    expect(toWire('maximumTimeToLock', 60000)).toBe('60000');
    expect(toWire('passwordMinLength', 0)).toBe('0');
    expect(toWire('passwordQuality', 'PASSWORD_QUALITY_COMPLEX')).toBe('PASSWORD_QUALITY_COMPLEX');
    expect(toWire('passwordEnabled', 'PASSWORD_PIN')).toBe('PASSWORD_PIN');
    expect(toWire('deployFile', { fileId: '7', destination: '%SDCARD%/docs', removeOnDelete: true })).toBe('%SDCARD%/docs/');
    expect(toWire('removeFile', '%SDCARD%/docs/manual.pdf')).toBe('%SDCARD%/docs/manual.pdf');
    expect(toWire('removeApp', 'org.fdroid.fdroid')).toBe('org.fdroid.fdroid');
    expect(toWire('launcher', { code: 'start', data: [{ name: 'org.fdroid.fdroid' }] })).toEqual({ code: 'start', data: [{ name: 'org.fdroid.fdroid' }] });
  });

  it('sends the defaults of §B.1; deployments and the launcher have none', () => {
    expect(defaultWire('disableUsbAdb')).toBe('true');
    expect(defaultWire('disableCamera')).toBe('false');
    expect(defaultWire('maximumTimeToLock')).toBe('60000');
    expect(defaultWire('passwordMinSymbols')).toBe('0');
    expect(defaultWire('defaultStreamType')).toBe('RINGER_MODE_NORMAL');
    expect(defaultWire('passwordEnabled')).toBe('PASSWORD_NONE');
    expect(defaultWire('passwordQuality')).toBe('PASSWORD_QUALITY_UNSPECIFIED');
    for (const symbol of ['deployApp', 'removeApp', 'deployFile', 'removeFile', 'launcher'] as const) expect(defaultWire(symbol)).toBeUndefined();
    for (const policy of scalar) expect(toWire(policy.symbol as WireEncodedSymbol, policy.default as never)).toBe(defaultWire(policy.symbol));
  });

  it('reads back what it sends: the policy values of §B.8’s fixtures and §A.2’s example', () => {
    const messages = [
      { passwordQuality: 'PASSWORD_QUALITY_ALPHABETIC', taskId: 12 }, { passwordMinLength: '6', taskId: '13' }, { passwordEnabled: 'PASSWORD_PIN', taskId: '14' },
      { disableCamera: 'true', taskId: '15' }, { storageEncryption: 'false', taskId: '16' }, { maximumTimeToLock: '60000', taskId: '17' }, { disableWifi: 'true', taskId: '18' },
      { removeApp: 'org.fdroid.fdroid', taskId: '21' }, { removeFile: '%SDCARD%/docs/manual.pdf', taskId: '23' }, { disableUsbAdb: 'false', taskId: '30' },
      { passwordMinSymbols: '0' }, { passwordQuality: 'PASSWORD_QUALITY_UNSPECIFIED' }, { disableBluetooth: 'false' }, { disableGPS: 'false' },
    ];
    for (const message of messages) {
      const [symbol, wire] = Object.entries(message)[0] as [WireEncodedSymbol, string];
      const parsed = parsePolicyValue(symbol, wire);
      expect(parsed, symbol).toMatchObject({ ok: true, symbol });
      if (parsed.ok) expect(toWire(symbol, parsed.value as never)).toBe(wire);
    }
    // §A.2's example sends passwordEnabled as a bool; G1 (fixture 37) spells MaximumTimeToLock with a capital M.
    expect(parsePolicyValue('passwordEnabled', 'true')).toEqual(ok('passwordEnabled', 'PASSWORD_PIN'));
    expect(parsePolicyValue('MaximumTimeToLock', '60000')).toEqual(ok('maximumTimeToLock', 60000));
  });

  it('refuses to encode a value that does not fit, and deployApp, whose wire value is a package name', () => {
    expect(() => toWire('passwordMinLength', -1)).toThrow(new PolicyValueError('passwordMinLength: expected a whole number ≥ 0, got -1'));
    expect(() => toWire('deployFile', { fileId: '7', destination: '/sdcard/', removeOnDelete: false })).toThrow(PolicyValueError);
    expect(() => defaultWire('toString' as PolicySymbol)).toThrow(new PolicyValueError('unknown policy "toString"'));
    expect(() => toWire('deployApp' as WireEncodedSymbol, { packageId: '4', removeOnDelete: false } as never)).toThrow(/package name/);
  });
});
