import type { Bus } from '@flotilla/bus';
import { APPLICATION_EVENT_CONTEXTS, appSubjectTopic, appTenantSubjectFilter, DEVICE_EVENTS_TOPIC_ROOT, deviceEventTopic } from '@flotilla/contracts';
import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { IPublishPacket } from 'mqtt-packet';
import type { MqttConnection } from '../mqtt/connection.js';
import { topicMatches } from '../mqtt/topic-rules.js';
import { decodeAppMessage, type AppMessage } from './app-message.js';
import { mayReceive } from './application.router.js';
import { filtersIntersect } from './topic-filters.js';

/** Name of the stream that carries applications' messages between replicas (namespaced like buckets). */
export const appStreamName = (bus: Bus) => bus.names.bucket('MQTT_APPS');

/** A stream an application reads: its tenant's broker messages, or the events of one context. */
interface Source {
  stream: string;
  filter: string;
  /** The MQTT topic of a stored subject, or undefined when it has none. */
  topicOf(subject: string): string | undefined;
  /** How the stored message travels on MQTT. */
  meta(headers: MsgHdrs | undefined): AppMessage;
}

/** Events are stored history: delivered up to the QoS the subscriber was granted, as JSON. */
const EVENT_META: AppMessage = { qos: 2, retain: false, publisher: '', properties: { contentType: 'application/json', payloadFormatIndicator: true } };

/** A stored message to hand to the client. */
interface Stored {
  subject: string;
  seq: number;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  storedAtMs: number;
}

/**
 * Delivers to one application connection what its subscriptions match, read from JetStream: the
 * tenant's `MQTT_APPS` messages and, when it subscribed under `$flotilla/events/`, the tenant's events of
 * each context. Each source is read in order from a cursor (the last stream sequence handled), which a
 * persistent session keeps, so a resumed session on any replica continues where the previous
 * connection stopped. QoS 1/2 deliveries wait for a free packet id (the client's Receive Maximum), which
 * holds the reading back instead of queueing without bound (hardening §1.13).
 */
export class ApplicationFeed {
  /** Last stream sequence handled per stream; kept with a persistent session. */
  readonly cursors = new Map<string, number>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly consumers = new Set<ConsumerMessages>();
  private stopped = false;

  constructor(
    private readonly connection: MqttConnection,
    private readonly bus: Bus,
  ) {}

  private sources(): Source[] {
    const { tenant } = this.connection.identity!;
    const { names } = this.bus;
    const filters = [...this.connection.subscriptions.keys()];
    if (filters.length === 0) return [];
    const sources: Source[] = [
      {
        stream: appStreamName(this.bus),
        filter: names.subject(appTenantSubjectFilter(tenant)),
        topicOf: (subject) => appSubjectTopic(names.logicalSubject(subject)).topic,
        meta: decodeAppMessage,
      },
    ];
    for (const context of APPLICATION_EVENT_CONTEXTS) {
      if (!filters.some((filter) => filtersIntersect(filter, `${DEVICE_EVENTS_TOPIC_ROOT}/${context}/#`))) continue;
      sources.push({ stream: names.stream(context), filter: names.subject(`${context}.${tenant}.>`), topicOf: (subject) => deviceEventTopic(names.logicalSubject(subject)), meta: () => EVENT_META });
    }
    return sources;
  }

  /**
   * Starts reading every source the subscriptions now need. Resolves once each has its starting point,
   * so a message stored after the SUBACK is always delivered.
   */
  async ensure(): Promise<void> {
    await Promise.all(
      this.sources().map((source) => {
        let started = this.running.get(source.stream);
        if (!started) {
          started = this.start(source);
          this.running.set(source.stream, started);
        }
        return started;
      }),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const messages of this.consumers) messages.stop();
  }

  /** Sends again a flow of a resumed session (same packet id, DUP [MQTT-4.4.0-1]), or drops it if the message expired from the stream. */
  async resend(packetId: number, qos: 1 | 2, stream: string, seq: number, released: boolean): Promise<void> {
    if (released) return this.connection.send({ cmd: 'pubrel', messageId: packetId });
    const source = this.sources().find((s) => s.stream === stream);
    const stored = source && (await this.bus.connection.jsm.streams.getMessage(stream, { seq }).catch(() => null));
    const packet = source && stored && this.render(source, { subject: stored.subject, seq, data: stored.data, headers: stored.header, storedAtMs: stored.time.getTime() });
    if (!packet) {
      this.connection.outbound.drop(packetId);
      return;
    }
    this.connection.send({ ...packet, qos, dup: true, messageId: packetId });
  }

  private async start(source: Source): Promise<void> {
    const { jsm } = this.bus.connection;
    const cursor = this.cursors.get(source.stream) ?? (await jsm.streams.info(source.stream)).state.last_seq;
    this.cursors.set(source.stream, cursor);
    void this.read(source, cursor).catch((error: unknown) => {
      if (this.stopped || this.connection.state !== 'connected') return;
      this.connection.logger.warn({ err: error, stream: source.stream }, 'application feed ended');
      this.connection.close('socket-error', 0x83, 'message delivery failed');
    });
  }

  private async read(source: Source, cursor: number): Promise<void> {
    const consumer = await this.bus.connection.js.consumers.get(source.stream, { filter_subjects: source.filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: cursor + 1 });
    if (this.stopped) return;
    const messages = await consumer.consume({ max_messages: 256 });
    this.consumers.add(messages);
    if (this.stopped) messages.stop();
    for await (const m of messages) {
      if (this.stopped || this.connection.state !== 'connected') break;
      await this.deliver(source, { subject: m.subject, seq: m.seq, data: m.data, headers: m.headers, storedAtMs: Number(m.timestampNanos / 1_000_000n) });
      this.cursors.set(source.stream, m.seq);
    }
  }

  /** The PUBLISH for `stored` at the QoS the subscriptions grant, or undefined when none may have it. */
  private render(source: Source, stored: Stored): (IPublishPacket & { qos: 0 | 1 | 2 }) | undefined {
    const connection = this.connection;
    const topic = source.topicOf(stored.subject);
    if (topic === undefined) return undefined;
    const meta = source.meta(stored.headers);
    let granted = -1;
    let retainAsPublished = false;
    for (const [filter, qos] of connection.subscriptions) {
      if (!topicMatches(filter, topic)) continue;
      const options = connection.subscriptionOptions.get(filter);
      if (options?.noLocal && meta.publisher === connection.clientId) continue;
      granted = Math.max(granted, qos);
      retainAsPublished ||= options?.retainAsPublished ?? false;
    }
    // The rules are checked at delivery too: a deny filter inside a granted subscription withholds its topics.
    if (granted < 0 || !mayReceive(connection.identity!.application!, topic)) return undefined;
    const properties = { ...meta.properties };
    if (properties.messageExpiryInterval !== undefined) {
      // [MQTT-3.3.2-6] the expiry sent on is what is left of it.
      const left = properties.messageExpiryInterval - Math.floor((Date.now() - stored.storedAtMs) / 1000);
      if (left <= 0) return undefined;
      properties.messageExpiryInterval = left;
    }
    return {
      cmd: 'publish',
      topic,
      payload: Buffer.from(stored.data),
      qos: Math.min(meta.qos, granted) as 0 | 1 | 2,
      retain: retainAsPublished && meta.retain,
      dup: false,
      ...(connection.protocolVersion === 5 ? { properties } : {}),
    };
  }

  private async deliver(source: Source, stored: Stored): Promise<void> {
    const connection = this.connection;
    const packet = this.render(source, stored);
    if (!packet) return;
    // QoS 0 messages stored while the session was away are not kept for it.
    if (packet.qos === 0 && stored.storedAtMs < connection.connectedAt) return;
    if (packet.qos > 0) {
      let messageId: number | undefined;
      while ((messageId = connection.outbound.open(packet.qos as 1 | 2, { kind: 'stream', stream: source.stream, seq: stored.seq })) === undefined) {
        await connection.outbound.whenFree();
        if (this.stopped || connection.state !== 'connected') return;
      }
      packet.messageId = messageId;
    }
    connection.send(packet);
    connection.deps.metrics.messagesOut.inc({ qos: String(packet.qos) });
  }
}
