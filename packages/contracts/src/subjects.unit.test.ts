import { describe, expect, it } from 'vitest';
import { aggregateSubjectFilter, deadLetterSubject, eventSubject, eventTypeSubjectFilter } from './subjects.js';
import { isSafeSubjectToken, UnsafeSubjectTokenError } from './subject-token.js';

describe('subject builders', () => {
  it('builds <context>.<tenant>.<aggregate-id>.<EventType>', () => {
    expect(eventSubject('geo', 'acme', 'dev-1', 'DevicePositionReported')).toBe('geo.acme.dev-1.DevicePositionReported');
    expect(aggregateSubjectFilter('devices', 'acme', 'dev-1')).toBe('devices.acme.dev-1.*');
    expect(eventTypeSubjectFilter('geo', 'DevicePositionReported')).toBe('geo.*.*.DevicePositionReported');
    expect(deadLetterSubject('GEO', 'geolocation-device-positions')).toBe('dlq.GEO.geolocation-device-positions');
  });

  it.each([
    ['a dot', 'a.b'],
    ['a star', '*'],
    ['a star inside', 'a*b'],
    ['a greater-than', '>'],
    ['a space', 'a b'],
    ['a tab', 'a\tb'],
    ['a newline', 'a\nb'],
    ['a NUL', 'a\u0000b'],
    ['the empty string', ''],
    ['an over-long value', 'x'.repeat(257)],
  ])('rejects %s', (_label, token) => {
    expect(isSafeSubjectToken(token)).toBe(false);
    expect(() => eventSubject('geo', token, 'dev-1', 'X')).toThrow(UnsafeSubjectTokenError);
    expect(() => eventSubject('geo', 'acme', token, 'X')).toThrow(UnsafeSubjectTokenError);
  });

  it('names the offending part in the error', () => {
    expect(() => eventSubject('geo', 'acme', 'a.b', 'X')).toThrow(/aggregate id "a\.b"/);
  });

  it('accepts ordinary device serials and UUIDs', () => {
    for (const token of ['355889082237123', 'a1b2c3d4-e5f6-4711-8000-000000000000', 'ÉTÉ_01', 'd:org:type:id']) {
      expect(isSafeSubjectToken(token)).toBe(true);
    }
  });
});
