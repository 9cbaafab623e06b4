import { describe, expect, it } from 'vitest';
import { appSubjectTopic, appTenantSubjectFilter, appTopicSubject, deviceEventTopic, escapeTopicLevel, unescapeTopicLevel } from './app-topics.js';

const NATS_TOKEN = /^[^.*>\s]+$/;

describe('application topics on NATS subjects', () => {
  it('escapes every character NATS gives meaning to, spaces, empty levels and a leading $', () => {
    expect(escapeTopicLevel('sensors')).toBe('sensors');
    expect(escapeTopicLevel('temp-1')).toBe('temp-1');
    expect(escapeTopicLevel('a.b')).toBe('a_2Eb');
    expect(escapeTopicLevel('*')).toBe('_2A');
    expect(escapeTopicLevel('>')).toBe('_3E');
    expect(escapeTopicLevel('two words')).toBe('two_20words');
    expect(escapeTopicLevel('$SYS')).toBe('_24SYS');
    expect(escapeTopicLevel('')).toBe('_');
    expect(escapeTopicLevel('_')).toBe('_5F');
    expect(escapeTopicLevel('é')).toBe('_C3_A9');
  });

  it('round-trips any topic, one token per level, and never yields a wildcard or an empty token', () => {
    for (const topic of ['a/b/c', 'a//b', '/leading', 'trailing/', '$SYS/broker', 'x.y/*/>/ /_/__', 'ünï cødé/😀', 'tab\there']) {
      const subject = appTopicSubject('acme', topic);
      const tokens = subject.split('.');
      expect(tokens).toHaveLength(3 + topic.split('/').length);
      for (const token of tokens) expect(token).toMatch(NATS_TOKEN);
      expect(appSubjectTopic(subject)).toEqual({ tenant: 'acme', topic });
    }
  });

  it('keeps distinct topics on distinct subjects', () => {
    const topics = ['a.b', 'a/b', 'a_2Eb', 'a_b', '_', '', '*', '_2A'];
    const subjects = new Set(topics.map((topic) => appTopicSubject('t', topic)));
    expect(subjects.size).toBe(topics.length);
  });

  it('refuses tokens it could not have produced, and unsafe tenants', () => {
    expect(() => unescapeTopicLevel('a_2')).toThrow();
    expect(() => unescapeTopicLevel('a b')).toThrow();
    expect(() => appTopicSubject('ac.me', 'x')).toThrow();
    expect(() => appSubjectTopic('geo.acme.d1.DevicePositionReported')).toThrow();
    expect(appTenantSubjectFilter('acme')).toBe('mqtt.app.acme.>');
  });

  it('names device events as $flotilla/events topics, except the command queue', () => {
    expect(deviceEventTopic('geo.acme.phone-1.DevicePositionReported')).toBe('$flotilla/events/geo/phone-1/DevicePositionReported');
    expect(deviceEventTopic('devices.acme.phone-1.DeviceConnected')).toBe('$flotilla/events/devices/phone-1/DeviceConnected');
    expect(deviceEventTopic('commands.acme.phone-1.DeviceCommandIssued')).toBeUndefined();
  });
});
