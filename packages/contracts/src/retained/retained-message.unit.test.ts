import { describe, expect, it } from 'vitest';
import { retainedKey, retainedKeyFilters, retainedTopic } from './retained-message.js';

describe('retained keys', () => {
  it('round-trips any topic through a KV-safe key, one token per level', () => {
    for (const topic of ['acme/fleet/7/policies', '/acme/agent/x/Command/Wipe', 'a//b', 'ünï cødé/+weird#/$x', 'single']) {
      const key = retainedKey(topic);
      expect(key).toMatch(/^[-/_=.A-Za-z0-9]+$/);
      expect(key.split('.')).toHaveLength(topic.split('/').length);
      expect(retainedTopic(key)).toBe(topic);
    }
  });

  it('maps MQTT filters to KV filters level by level', () => {
    expect(retainedKeyFilters('acme/fleet/7/policies')).toEqual([retainedKey('acme/fleet/7/policies')]);
    expect(retainedKeyFilters('acme/+/7/policies')).toEqual([`${retainedKey('acme')}.*.${retainedKey('7/policies')}`]);
    expect(retainedKeyFilters('acme/fleet/7/#')).toEqual([`${retainedKey('acme/fleet/7')}.>`, retainedKey('acme/fleet/7')]);
    expect(retainedKeyFilters('#')).toEqual(['>']);
  });
});
