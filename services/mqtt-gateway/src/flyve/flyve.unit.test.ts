import { describe, expect, it } from 'vitest';
import { isValidTopicFilter, isValidTopicName, topicMatches } from '../mqtt/topic-rules.js';
import { parseFlyveAgentTopic } from './flyve-topic.js';
import { readGeolocation } from './geolocation.handler.js';

describe('Flyve topics', () => {
  it('parses agent topics with and without the legacy leading slash', () => {
    expect(parseFlyveAgentTopic('acme/agent/355889/Status/Geolocation')).toEqual({ tenant: 'acme', serial: '355889', direction: 'Status', name: 'Geolocation', rest: [] });
    expect(parseFlyveAgentTopic('/acme/agent/355889/Status/Task/12')).toEqual({ tenant: 'acme', serial: '355889', direction: 'Status', name: 'Task', rest: ['12'] });
    for (const topic of ['acme/fleet/1/policies', 'acme/agent/355889', 'acme/agent//Status/Ping', 'acme/agent/355889/Other/Ping', 'FlyvemdmManifest/Status/Version']) {
      expect(parseFlyveAgentTopic(topic)).toBeUndefined();
    }
  });
});

describe('Status/Geolocation payloads', () => {
  it('reads numbers or numeric strings; datetime is Unix seconds UTC', () => {
    const expected = { lat: 48.1054276, lon: -1.67820699, reportedAt: new Date('2016-10-13T07:55:32Z'), source: 'flyve' };
    expect(readGeolocation('d', Buffer.from('{"latitude":48.1054276,"longitude":-1.67820699,"datetime":1476345332}'))).toMatchObject({ kind: 'position', data: expected });
    expect(readGeolocation('d', Buffer.from('{"latitude":"48.1054276","longitude":"-1.67820699","datetime":"1476345332"}'))).toMatchObject({ kind: 'position', data: expected });
  });

  it.each([
    ['not JSON', 'latitude=1', /not JSON/],
    ['an array', '[1,2]', /not a JSON object/],
    ['a latitude above 90', '{"latitude":90.5,"longitude":0,"datetime":1}', /latitude/],
    ['a longitude below -180', '{"latitude":0,"longitude":-180.1,"datetime":1}', /longitude/],
    ['a boolean coordinate', '{"latitude":true,"longitude":0,"datetime":1}', /latitude/],
    ['a coordinate with units', '{"latitude":"48.1N","longitude":0,"datetime":1}', /latitude/],
    ['a missing datetime', '{"latitude":0,"longitude":0}', /datetime/],
    ['a negative datetime', '{"latitude":0,"longitude":0,"datetime":-5}', /datetime/],
  ])('refuses %s', (_label, payload, reason) => {
    const reading = readGeolocation('d', Buffer.from(payload));
    expect(reading.kind).toBe('invalid');
    expect(reading.kind === 'invalid' && reading.reason).toMatch(reason);
  });
});

describe('MQTT topic rules', () => {
  it('accepts topic names without wildcards, NUL or replacement characters', () => {
    expect(isValidTopicName('a/b/c')).toBe(true);
    for (const topic of ['', 'a/+/c', 'a/#', 'a\u0000b', 'a\uFFFDb', 'a/'.repeat(64) + 'b']) expect(isValidTopicName(topic)).toBe(false);
  });

  it('accepts filters with whole-level wildcards only [MQTT-4.7.1-2/3]', () => {
    for (const filter of ['#', '+', 'a/+/c', 'a/#', '+/+/#', '/a']) expect(isValidTopicFilter(filter)).toBe(true);
    for (const filter of ['', 'a#', 'a/#/b', 'a+', 'a/b+/c', '#/a']) expect(isValidTopicFilter(filter)).toBe(false);
  });

  it('matches topics to filters as MQTT does [MQTT-4.7]', () => {
    const cases: [string, string, boolean][] = [
      ['a/b/c', 'a/b/c', true],
      ['a/+/c', 'a/b/c', true],
      ['a/+', 'a/b/c', false],
      ['a/#', 'a/b/c', true],
      ['a/#', 'a', true],
      ['#', 'a/b', true],
      ['+/+', '/b', true],
      ['#', '$SYS/x', false],
      ['+/x', '$SYS/x', false],
      ['$SYS/#', '$SYS/x', true],
      ['a/b', 'a/b/c', false],
    ];
    for (const [filter, topic, expected] of cases) expect([filter, topic, topicMatches(filter, topic)]).toEqual([filter, topic, expected]);
  });
});
