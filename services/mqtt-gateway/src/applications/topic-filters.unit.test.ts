import { describe, expect, it } from 'vitest';
import { filterAllowed, filterCovers, filtersIntersect, topicAllowed } from './topic-filters.js';

describe('topic filter algebra', () => {
  it('knows when one filter covers another', () => {
    expect(filterCovers('#', 'a/b')).toBe(true);
    expect(filterCovers('a/#', 'a')).toBe(true);
    expect(filterCovers('a/#', 'a/+/c')).toBe(true);
    expect(filterCovers('a/+', 'a/b')).toBe(true);
    expect(filterCovers('a/+', 'a/+')).toBe(true);
    expect(filterCovers('a/+', 'a/#')).toBe(false);
    expect(filterCovers('a/b', 'a/+')).toBe(false);
    expect(filterCovers('a/+', 'a/b/c')).toBe(false);
    expect(filterCovers('a/b/c', 'a/b')).toBe(false);
    expect(filterCovers('#', '$SYS/x')).toBe(false);
    expect(filterCovers('+/x', '$SYS/x')).toBe(false);
    expect(filterCovers('$SYS/#', '$SYS/x')).toBe(true);
    expect(filterCovers('#', '+/x')).toBe(true);
  });

  it('knows when two filters share a topic', () => {
    expect(filtersIntersect('a/+', 'a/b')).toBe(true);
    expect(filtersIntersect('a/#', 'a')).toBe(true);
    expect(filtersIntersect('+/b', 'a/+')).toBe(true);
    expect(filtersIntersect('a/b', 'a/c')).toBe(false);
    expect(filtersIntersect('a/+', 'a/b/c')).toBe(false);
    expect(filtersIntersect('#', '$flotilla/events/#')).toBe(false);
    expect(filtersIntersect('$flotilla/events/+/d1/#', '$flotilla/events/geo/#')).toBe(true);
  });

  it('applies allow and deny to topics and filters, deny winning', () => {
    const rules = { allow: ['sensors/#', 'alerts/+'], deny: ['sensors/secret/#'] };
    expect(topicAllowed(rules, 'sensors/1/temp')).toBe(true);
    expect(topicAllowed(rules, 'sensors/secret/key')).toBe(false);
    expect(topicAllowed(rules, 'alerts/fire')).toBe(true);
    expect(topicAllowed(rules, 'alerts/fire/now')).toBe(false);
    expect(topicAllowed(rules, 'other')).toBe(false);
    expect(filterAllowed(rules, 'sensors/#')).toBe(true); // overlaps the deny: denied topics withheld at delivery
    expect(filterAllowed(rules, 'sensors/secret/+')).toBe(false);
    expect(filterAllowed(rules, '#')).toBe(false);
    expect(filterAllowed(rules, 'alerts/#')).toBe(false);
    expect(filterAllowed({ allow: ['#'], deny: [] }, '$SYS/#')).toBe(false);
  });
});
