import type { EventDataInput } from '@flotilla/contracts';
import type { DevicePositionReported } from '@flotilla/contracts';

/** Result of reading a `Status/Geolocation` payload. */
export type GeolocationReading =
  | { kind: 'position'; data: EventDataInput<typeof DevicePositionReported> }
  | { kind: 'no-fix'; reportedAt: Date }
  | { kind: 'invalid'; reason: string };

function coordinate(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Reads `{"latitude":…,"longitude":…,"datetime":<unix seconds UTC>}` (flyve-mdm.md §A.1); numbers may
 * arrive as numeric strings, as real agents send them. Out-of-range coordinates are invalid; `gps:"off"`
 * without coordinates is a reading without a fix.
 */
export function readGeolocation(deviceId: string, payload: Buffer): GeolocationReading {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'payload is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { kind: 'invalid', reason: 'payload is not a JSON object' };
  const { latitude, longitude, datetime, gps } = body as Record<string, unknown>;
  const seconds = coordinate(datetime);
  // No fix: `{"datetime":…,"gps":"off"}` (§B.5); recorded with its time, never as a position.
  if (gps === 'off' && latitude === undefined && longitude === undefined) {
    if (seconds === undefined || seconds < 0 || seconds > 253402300799) return { kind: 'invalid', reason: 'datetime must be Unix seconds (UTC)' };
    return { kind: 'no-fix', reportedAt: new Date(seconds * 1000) };
  }
  const lat = coordinate(latitude);
  const lon = coordinate(longitude);
  if (lat === undefined || lat < -90 || lat > 90) return { kind: 'invalid', reason: 'latitude must be a number from -90 to 90' };
  if (lon === undefined || lon < -180 || lon > 180) return { kind: 'invalid', reason: 'longitude must be a number from -180 to 180' };
  if (seconds === undefined || seconds < 0 || seconds > 253402300799) return { kind: 'invalid', reason: 'datetime must be Unix seconds (UTC)' };
  return { kind: 'position', data: { deviceId, lat, lon, reportedAt: new Date(seconds * 1000), source: 'flyve', accuracy: null, altitude: null } };
}
