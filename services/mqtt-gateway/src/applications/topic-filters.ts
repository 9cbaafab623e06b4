import type { TopicRules } from '@flotilla/contracts';
import { topicMatches } from '../mqtt/topic-rules.js';

const isWildcard = (level: string | undefined) => level === '+' || level === '#';
/** A filter starting with a wildcard never matches a topic starting with `$` [MQTT-4.7.2-1]. */
const dollarBlocked = (wild: string | undefined, literal: string | undefined) => isWildcard(wild) && !isWildcard(literal) && literal !== undefined && literal.startsWith('$');

/** Whether every topic `inner` matches is also matched by `outer` (a topic name is a filter without wildcards). */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const n = inner.split('/');
  if (dollarBlocked(o[0], n[0])) return false;
  for (let i = 0; i < o.length; i++) {
    if (o[i] === '#') return true;
    if (i >= n.length) return false;
    if (n[i] === '#') return false;
    if (o[i] === '+') continue;
    if (n[i] === '+' || o[i] !== n[i]) return false;
  }
  return o.length === n.length;
}

/** Whether some topic is matched by both filters. */
export function filtersIntersect(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  if (dollarBlocked(x[0], y[0]) || dollarBlocked(y[0], x[0])) return false;
  for (let i = 0; ; i++) {
    if (x[i] === '#' || y[i] === '#') return true;
    if (i >= x.length || i >= y.length) return x.length === y.length;
    if (x[i] !== '+' && y[i] !== '+' && x[i] !== y[i]) return false;
  }
}

/** A topic the rules allow: matched by an allow filter and by no deny filter. */
export function topicAllowed(rules: TopicRules, topic: string): boolean {
  return rules.allow.some((filter) => topicMatches(filter, topic)) && !rules.deny.some((filter) => topicMatches(filter, topic));
}

/**
 * A SUBSCRIBE filter the rules allow: wholly inside an allow filter and not wholly inside a deny
 * filter. A filter that only overlaps a deny filter is granted; the denied topics are then withheld at
 * delivery by {@link topicAllowed}.
 */
export function filterAllowed(rules: TopicRules, filter: string): boolean {
  return rules.allow.some((allow) => filterCovers(allow, filter)) && !rules.deny.some((deny) => filterCovers(deny, filter));
}
