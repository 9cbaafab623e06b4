import { describe, expect, expectTypeOf, it } from 'vitest';
import { ZodError } from 'zod';
import { DeviceConnected } from './devices/device-connected.js';
import { DeviceDisconnected } from './devices/device-disconnected.js';
import type { EventDataInput, EventOf } from './envelope.js';
import { DevicePositionReported } from './geo/device-position-reported.js';

const base = {
  id: 'evt-1',
  tenant: 'acme',
  subjectId: 'dev-1',
  occurredAt: '2026-11-21T10:00:00.000Z',
  causationId: null,
  correlationId: 'evt-1',
};

describe('event envelopes', () => {
  it('parses a position from its JSON form, coercing dates and defaulting optional fields', () => {
    const json = JSON.parse(JSON.stringify({
      ...base, type: 'DevicePositionReported', version: 1,
      data: { deviceId: 'dev-1', lat: 48.1054276, lon: -1.67820699, reportedAt: '2016-10-13T07:55:32.000Z', source: 'flyve' },
    }));
    const event = DevicePositionReported.parse(json);
    expect(event.occurredAt).toEqual(new Date('2026-11-21T10:00:00.000Z'));
    expect(event.data.reportedAt).toEqual(new Date(1476345332 * 1000));
    expect(event.data).toMatchObject({ lat: 48.1054276, lon: -1.67820699, accuracy: null, altitude: null });
  });

  it.each([
    ['latitude above 90', { lat: 90.0001 }],
    ['latitude below -90', { lat: -91 }],
    ['longitude above 180', { lon: 181 }],
    ['a string latitude', { lat: '48.1' }],
    ['an invalid date', { reportedAt: 'yesterday' }],
    ['an unknown source', { source: 'carrier-pigeon' }],
  ])('refuses a position with %s', (_label, patch) => {
    const data = { deviceId: 'dev-1', lat: 1, lon: 2, reportedAt: '2026-01-01T00:00:00Z', source: 'flyve', ...patch };
    expect(() => DevicePositionReported.parse({ ...base, type: 'DevicePositionReported', version: 1, data })).toThrow(ZodError);
  });

  it('refuses another type or version in the envelope', () => {
    const data = { deviceId: 'dev-1', lat: 1, lon: 2, reportedAt: '2026-01-01T00:00:00Z', source: 'flyve' };
    expect(() => DevicePositionReported.parse({ ...base, type: 'DeviceConnected', version: 1, data })).toThrow(ZodError);
    expect(() => DevicePositionReported.parse({ ...base, type: 'DevicePositionReported', version: 2, data })).toThrow(ZodError);
  });

  it('refuses an envelope whose tenant could not be a subject token', () => {
    const data = { deviceId: 'd', dialect: 'flyve', clientId: 'c', protocolLevel: 4, gatewayId: 'g', remoteAddress: null, connectedAt: new Date() };
    expect(() => DeviceConnected.parse({ ...base, tenant: 'ac.me', type: 'DeviceConnected', version: 1, data })).toThrow(ZodError);
    expect(DeviceConnected.parse({ ...base, type: 'DeviceConnected', version: 1, data }).data.protocolLevel).toBe(4);
  });

  it('refuses an unknown disconnect reason', () => {
    const data = { deviceId: 'd', dialect: 'flyve', clientId: 'c', gatewayId: 'g', reason: 'bored', disconnectedAt: new Date() };
    expect(() => DeviceDisconnected.parse({ ...base, type: 'DeviceDisconnected', version: 1, data })).toThrow(ZodError);
  });

  it('builds each event subject in its own context', () => {
    expect(DeviceConnected.subject('acme', 'dev-1')).toBe('devices.acme.dev-1.DeviceConnected');
    expect(DeviceDisconnected.subject('acme', 'dev-1')).toBe('devices.acme.dev-1.DeviceDisconnected');
    expect(DevicePositionReported.subject('acme', 'dev-1')).toBe('geo.acme.dev-1.DevicePositionReported');
  });

  it('has the types producers and consumers expect', () => {
    type Position = EventOf<typeof DevicePositionReported>;
    expectTypeOf<Position['type']>().toEqualTypeOf<'DevicePositionReported'>();
    expectTypeOf<Position['data']['reportedAt']>().toEqualTypeOf<Date>();
    expectTypeOf<Position['data']['accuracy']>().toEqualTypeOf<number | null>();
    expectTypeOf<Position['tenant']>().toEqualTypeOf<string>();
    type PositionInput = EventDataInput<typeof DevicePositionReported>;
    expectTypeOf<PositionInput['lat']>().toEqualTypeOf<number>();
    expectTypeOf<{ deviceId: 'd'; lat: 1; lon: 2; reportedAt: Date; source: 'flyve' }>().toExtend<PositionInput>();
    type Disconnected = EventOf<typeof DeviceDisconnected>;
    expectTypeOf<Disconnected['data']['reason']>().toExtend<string>();
    expectTypeOf<'bored'>().not.toExtend<Disconnected['data']['reason']>();
  });
});
