import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { RENAMED_SYMBOLS, REMOVED_SYMBOLS, resolveSymbol } from './legacy-symbols.js';
import { isPolicySymbol, POLICIES, POLICY_CATALOG, type PolicySymbol, type PolicyValue } from './policy-catalog.js';
import { parsePolicyValue } from './wire-value.js';

// §B.1, row by row (the stream rows expanded), spelled as on the wire.
const B1_SYMBOLS = [
  'deployApp', 'removeApp', 'deployFile', 'removeFile', 'disableUnknownAppSources', 'storageEncryption', 'periodicGeolocation',
  'passwordEnabled', 'passwordQuality', 'passwordMinLength', 'passwordMinLetters', 'passwordMinLowerCase', 'passwordMinUpperCase',
  'passwordMinNonLetter', 'passwordMinNumeric', 'passwordMinSymbols', 'maximumFailedPasswordsForWipe', 'maximumTimeToLock',
  'disableCamera', 'disableWifi', 'disableBluetooth', 'disableRoaming', 'disableGPS', 'disableMobileLine', 'disableNfc',
  'disableHostpotTethering', 'disableAirplaneMode', 'disableSpeakerphone', 'disableUsbMtp', 'disableUsbPtp', 'disableUsbAdb',
  'disableStatusBar', 'disableScreenCapture', 'disableStreamMusic', 'disableStreamRing', 'disableStreamAlarm',
  'disableStreamNotification', 'disableStreamDTMF', 'disableStreamAccessibility', 'disableStreamSystem', 'defaultStreamType',
];
const members = (group: string) => POLICIES.filter((p) => p.wireGroup === group).map((p) => p.symbol);
const where = (predicate: (p: (typeof POLICIES)[number]) => boolean) => POLICIES.filter(predicate).map((p) => p.symbol).sort();

describe('the catalog', () => {
  it('holds the 41 policies of §B.1, in its order, then the launcher of §A.2', () => {
    expect(B1_SYMBOLS).toHaveLength(41);
    expect(Object.keys(POLICY_CATALOG)).toEqual([...B1_SYMBOLS, 'launcher']);
    for (const policy of POLICIES) expect(POLICY_CATALOG[policy.symbol]).toBe(policy);
    expect(isPolicySymbol('disableHostpotTethering')).toBe(true);
    expect(isPolicySymbol('disableHotspotTethering')).toBe(false);
    expect(isPolicySymbol('toString')).toBe(false);
  });

  it('sends each policy in its §A.2 group message, and keeps §B.1’s grp beside it', () => {
    expect(members('policies')).toEqual(['passwordEnabled', 'passwordQuality', 'passwordMinLength', 'passwordMinLetters', 'passwordMinLowerCase', 'passwordMinUpperCase', 'passwordMinNonLetter', 'passwordMinNumeric', 'passwordMinSymbols', 'maximumFailedPasswordsForWipe', 'maximumTimeToLock']);
    expect(members('camera')).toEqual(['disableCamera']);
    expect(members('encryption')).toEqual(['storageEncryption']);
    expect(members('connectivity')).toEqual(expect.arrayContaining(['disableWifi', 'disableGPS', 'disableBluetooth', 'disableUsbAdb', 'disableHostpotTethering']));
    expect(members('connectivity')).toHaveLength(12);
    expect(members('application')).toEqual(['deployApp', 'removeApp']);
    expect(members('file')).toEqual(['deployFile', 'removeFile']);
    expect(members('launcher')).toEqual(['launcher']);
    expect(members('ui')).toHaveLength(10);
    expect(members('phone')).toEqual(['disableUnknownAppSources']);
    expect(members('mdm')).toEqual(['periodicGeolocation']);
    // The wire group differs from the legacy one only where §B.1's is a mistake or missing.
    expect(where((p) => p.wireGroup !== p.legacyGroup)).toEqual(['launcher', 'periodicGeolocation']);
    expect(POLICY_CATALOG.periodicGeolocation.legacyGroup).toBe('encryption');
    expect(POLICY_CATALOG.launcher.legacyGroup).toBeNull();
  });

  it('records types, defaults, Android minimums, system privilege and uniqueness as §B.1 lists them', () => {
    expect(POLICY_CATALOG.passwordEnabled).toMatchObject({ type: 'enum', default: 'PASSWORD_NONE', recommended: 'PASSWORD_PIN', androidMin: '3.0', requiresSystem: false, unique: true });
    expect(POLICY_CATALOG.maximumTimeToLock).toMatchObject({ type: 'int', default: 60000, androidMin: '3.0' });
    expect(POLICY_CATALOG.disableUsbAdb).toMatchObject({ type: 'bool', default: true, recommended: false, androidMin: '4.2', requiresSystem: true });
    expect(POLICY_CATALOG.defaultStreamType).toMatchObject({ type: 'enum', default: 'RINGER_MODE_NORMAL', androidMin: '5.0', requiresSystem: true });
    expect(POLICY_CATALOG.disableWifi).toMatchObject({ androidMin: '1.0', requiresSystem: false });
    expect(POLICY_CATALOG.disableGPS).toMatchObject({ androidMin: '1.5', requiresSystem: true });
    expect(POLICY_CATALOG.deployApp).toMatchObject({ androidMin: '4.3', default: undefined, unique: { per: ['packageId'], conflictsWith: 'removeApp' }, onDelete: { creates: 'removeApp' } });
    expect(POLICY_CATALOG.deployFile).toMatchObject({ androidMin: '4.2', unique: { per: ['fileId', 'destination'], conflictsWith: 'removeFile' }, onDelete: { creates: 'removeFile' } });
    expect(where((p) => p.requiresSystem)).toEqual(
      ['disableUnknownAppSources', 'disableGPS', 'disableMobileLine', 'disableNfc', 'disableAirplaneMode', 'disableUsbMtp', 'disableUsbPtp', 'disableUsbAdb', 'disableStatusBar', 'disableScreenCapture', 'disableStreamAccessibility', 'disableStreamSystem', 'defaultStreamType'].sort(),
    );
    expect(where((p) => p.unique !== true)).toEqual(['deployApp', 'deployFile', 'removeApp', 'removeFile']);
    expect(where((p) => p.default === undefined)).toEqual(['deployApp', 'deployFile', 'launcher', 'removeApp', 'removeFile']);
    expect(where((p) => p.type === 'bool' && p.default === true)).toEqual(['disableUsbAdb']);
    expect(where((p) => p.type === 'int' && p.default !== 0)).toEqual(['maximumTimeToLock']);
  });

  it('says what the Flyve agent does with each policy', () => {
    expect(where((p) => p.agentSupport.startsWith('broken: '))).toEqual(['disableNfc', 'disableStreamDTMF', 'passwordQuality', 'storageEncryption']);
    expect(where((p) => p.agentSupport === 'not implemented')).toEqual(['defaultStreamType', 'disableStreamSystem', 'disableUnknownAppSources', 'launcher', 'periodicGeolocation']);
    expect(where((p) => p.agentSupport === 'implemented')).toHaveLength(33);
    expect(POLICY_CATALOG.disableNfc.agentSupport).toMatch(/disableNFC/);
  });

  it('gives every value a JSON Schema, with units on the ints', () => {
    for (const policy of POLICIES) expect(() => z.toJSONSchema(policy.value, { io: 'input' }), policy.symbol).not.toThrow();
    expect(z.toJSONSchema(POLICY_CATALOG.maximumTimeToLock.value)).toMatchObject({ type: 'integer', minimum: 0, description: expect.stringMatching(/^milliseconds/) });
    expect(z.toJSONSchema(POLICY_CATALOG.periodicGeolocation.value)).toMatchObject({ description: expect.stringMatching(/^seconds/) });
    expect(z.toJSONSchema(POLICY_CATALOG.passwordQuality.value)).toMatchObject({ type: 'string', enum: expect.arrayContaining(['PASSWORD_QUALITY_COMPLEX']) });
    expect(z.toJSONSchema(POLICY_CATALOG.deployFile.value, { io: 'input' })).toMatchObject({ required: ['fileId', 'destination'], properties: { destination: { pattern: expect.stringContaining('%SDCARD%') }, removeOnDelete: { default: false } } });
  });

  it('types each value by its symbol', () => {
    expectTypeOf<PolicyValue<'disableCamera'>>().toEqualTypeOf<boolean>();
    expectTypeOf<PolicyValue<'maximumTimeToLock'>>().toEqualTypeOf<number>();
    expectTypeOf<PolicyValue<'defaultStreamType'>>().toEqualTypeOf<'RINGER_MODE_NORMAL' | 'RINGER_MODE_SILENT' | 'RINGER_MODE_VIBRATE'>();
    expectTypeOf<PolicyValue<'deployFile'>>().toEqualTypeOf<{ fileId: string; destination: string; removeOnDelete: boolean }>();
    expectTypeOf<PolicyValue<'removeApp'>>().toEqualTypeOf<string>();
    expectTypeOf<'launcher'>().toExtend<PolicySymbol>();
  });
});

describe('renamed and removed symbols', () => {
  it('maps the PascalCase Maximum* names (and §A.2’s setEncryption) to the current symbols', () => {
    expect(RENAMED_SYMBOLS).toEqual({ MaximumFailedPasswordsForWipe: 'maximumFailedPasswordsForWipe', MaximumTimeToLock: 'maximumTimeToLock', setEncryption: 'storageEncryption' });
    expect(resolveSymbol('MaximumTimeToLock')).toEqual({ ok: true, symbol: 'maximumTimeToLock', renamedFrom: 'MaximumTimeToLock' });
    expect(resolveSymbol('maximumTimeToLock')).toEqual({ ok: true, symbol: 'maximumTimeToLock', renamedFrom: null });
    expect(parsePolicyValue('MaximumFailedPasswordsForWipe', '5')).toEqual({ ok: true, symbol: 'maximumFailedPasswordsForWipe', value: 5 });
    expect(parsePolicyValue('setEncryption', 'true')).toEqual({ ok: true, symbol: 'storageEncryption', value: true });
    expect(parsePolicyValue('MaximumTimeToLock', -5)).toEqual({ ok: false, message: 'maximumTimeToLock: expected a whole number ≥ 0, got -5' });
  });

  it('refuses the removed symbols, saying so', () => {
    expect(Object.keys(REMOVED_SYMBOLS).sort()).toEqual(
      ['disableFmRadio', 'disableVoiceMail', 'disableCallAutoAnswer', 'disableVoiceDictation', 'disableUsbOnTheGo', 'resetPassword', 'inventoryFrequency', 'disableSmsMms', 'disableStreamVoiceCall', 'disableCreateVpnProfiles', 'useTLS'].sort(),
    );
    for (const symbol of Object.keys(REMOVED_SYMBOLS)) {
      expect(isPolicySymbol(symbol)).toBe(false);
      expect(parsePolicyValue(symbol, 'true')).toEqual({ ok: false, message: expect.stringMatching(new RegExp(`^${symbol} was removed .* can no longer be applied$`)) });
    }
    expect(parsePolicyValue('disableFmRadio', true)).toEqual({ ok: false, message: 'disableFmRadio was removed by the Flyve MDM 2.0 upgrade and can no longer be applied' });
  });

  it('refuses unknown symbols, suggesting the wire spelling', () => {
    expect(parsePolicyValue('disableNFC', true)).toEqual({ ok: false, message: 'unknown policy "disableNFC" (did you mean disableNfc?)' });
    expect(parsePolicyValue('disableHotspotTethering', true)).toEqual({ ok: false, message: 'unknown policy "disableHotspotTethering" (did you mean disableHostpotTethering?)' });
    expect(parsePolicyValue('disableEverything', true)).toEqual({ ok: false, message: 'unknown policy "disableEverything"' });
    expect(parsePolicyValue('__proto__', true)).toMatchObject({ ok: false });
  });
});
