import { CONTEXT_NAMES, type Context } from '../contexts.js';
import { subjectToken } from '../subject-token.js';

/**
 * MQTT topics of applications travel on NATS subjects `mqtt.app.<tenant>.<level>.<level>…`, one token
 * per MQTT level. A level is escaped so that no MQTT text can become NATS syntax: every character
 * outside `[A-Za-z0-9-]` becomes `_` and two hex digits per UTF-8 byte (`.` → `_2E`, `*` → `_2A`,
 * `>` → `_3E`, space → `_20`, a leading `$` → `_24`), and an empty level is a lone `_`. The mapping
 * is one-to-one and every token is non-empty, so subjects always parse and never contain a wildcard.
 */
export const APP_SUBJECT_ROOT = 'mqtt.app';

/** Device events appear to applications under `$flotilla/events/<context>/<aggregate id>/<EventType>`. */
export const DEVICE_EVENTS_TOPIC_ROOT = '$flotilla/events';

/** Contexts whose events applications may follow (commands are a work queue, not a history; identity holds secrets' digests). */
export const APPLICATION_EVENT_CONTEXTS: readonly Context[] = CONTEXT_NAMES.filter((context) => context !== 'commands' && context !== 'identity');

const PLAIN = /^[A-Za-z0-9-]$/;

/** One MQTT topic level as one NATS token. */
export function escapeTopicLevel(level: string): string {
  if (level === '') return '_';
  let token = '';
  for (const char of level) {
    if (PLAIN.test(char)) token += char;
    else for (const byte of Buffer.from(char, 'utf8')) token += `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return token;
}

/** Inverse of {@link escapeTopicLevel}; throws on a token it could not have produced. */
export function unescapeTopicLevel(token: string): string {
  if (token === '_') return '';
  if (!/^([A-Za-z0-9-]|_[0-9A-F]{2})+$/.test(token)) throw new Error(`not an escaped topic level: ${JSON.stringify(token)}`);
  const bytes: number[] = [];
  for (let i = 0; i < token.length; ) {
    if (token[i] === '_') {
      bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(token.charCodeAt(i));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Subject of an application message on `topic` in `tenant`'s tree. */
export function appTopicSubject(tenant: string, topic: string): string {
  return `${APP_SUBJECT_ROOT}.${subjectToken(tenant, 'tenant')}.${topic.split('/').map(escapeTopicLevel).join('.')}`;
}

/** Every application subject of one tenant (a stream filter). */
export function appTenantSubjectFilter(tenant: string): string {
  return `${APP_SUBJECT_ROOT}.${subjectToken(tenant, 'tenant')}.>`;
}

/** The tenant and topic of an application subject (without namespace prefix). */
export function appSubjectTopic(subject: string): { tenant: string; topic: string } {
  const tokens = subject.split('.');
  const root = APP_SUBJECT_ROOT.split('.');
  if (tokens.length < root.length + 2 || root.some((token, i) => tokens[i] !== token)) throw new Error(`not an application subject: ${subject}`);
  return { tenant: tokens[root.length]!, topic: tokens.slice(root.length + 1).map(unescapeTopicLevel).join('/') };
}

/** The topic under which applications see an event stored on `subject` (`<context>.<tenant>.<id>.<Type>`). */
export function deviceEventTopic(subject: string): string | undefined {
  const [context, , aggregateId, type] = subject.split('.');
  if (!context || !aggregateId || !type || !APPLICATION_EVENT_CONTEXTS.includes(context as Context)) return undefined;
  return `${DEVICE_EVENTS_TOPIC_ROOT}/${context}/${aggregateId}/${type}`;
}
