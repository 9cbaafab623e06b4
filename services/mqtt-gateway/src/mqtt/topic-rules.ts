/** Deepest topic accepted (mosquitto caps at 200 levels; hardening §1.5). */
export const MAX_TOPIC_LEVELS = 64;

/** A PUBLISH topic name: non-empty, no wildcards [MQTT-3.3.2-2], no NUL or invalid UTF-8 [MQTT-1.5.4-1/2]. */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#\u0000\uFFFD]/.test(topic) && topic.split('/').length <= MAX_TOPIC_LEVELS;
}

/** A SUBSCRIBE filter: `#` only as the whole last level, `+` only as a whole level [MQTT-4.7.1-2/3]. */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || /[\u0000\uFFFD]/.test(filter)) return false;
  const levels = filter.split('/');
  if (levels.length > MAX_TOPIC_LEVELS) return false;
  return levels.every((level, index) => {
    if (level.includes('#')) return level === '#' && index === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}

/**
 * Whether `topic` matches `filter` [MQTT-4.7]: `+` one level, `#` this level and all below (also the
 * parent itself), and a topic starting with `$` is not matched by a filter starting with a wildcard
 * [MQTT-4.7.2-1].
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** The highest QoS granted by the subscriptions matching `topic`, or -1 when none matches. */
export function grantedQos(subscriptions: ReadonlyMap<string, number>, topic: string): number {
  let granted = -1;
  for (const [filter, qos] of subscriptions) if (qos > granted && topicMatches(filter, topic)) granted = qos;
  return granted;
}
