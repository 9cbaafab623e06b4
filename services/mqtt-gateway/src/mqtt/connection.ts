import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Bus } from '@flotilla/bus';
import type { DisconnectReason } from '@flotilla/contracts';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';
import type { Logger } from 'pino';
import type { ApplicationFeed } from '../applications/app-feed.js';
import { identityKind, type Authenticator, type Identity } from '../auth/authenticator.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Presence } from '../presence/presence.js';
import type { CommandDelivery, CommandDeliverySettings, OutboundFlight } from '../commands/command-delivery.js';
import { OutboundWindow } from '../commands/outbound-window.js';
import type { GatewayLimits } from '../limits/limits.js';
import type { RetainedStore } from '../retained/retained-store.js';
import type { SessionState } from '../sessions/session-lifecycle.js';
import { endSession } from '../sessions/session-lifecycle.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { ClientIds } from './client-ids.js';
import type { DialectRouter } from './dialect-router.js';
import { dispatch } from './handlers/dispatch.js';
import { ReasonCode } from './reason-codes.js';

/** Limits one listener applies to each of its connections. */
export interface ConnectionLimits {
  /** Largest packet accepted, checked from the fixed header before the body is buffered. */
  maxPacketSize: number;
  /** Time a new socket has to send CONNECT. */
  connectTimeoutMs: number;
  /** Keepalive granted at most (also used when the client asks for 0 = none). */
  maxKeepAliveSeconds: number;
  /** QoS 1/2 PUBLISHes a client may have unacknowledged at once. */
  receiveMaximum: number;
  /** Topic aliases a client may set (MQTT 5); 0 refuses them. */
  topicAliasMaximum: number;
  /** Subscriptions a session may hold, and filters one SUBSCRIBE may carry (hardening §1.13). */
  maxSubscriptions: number;
  /** Sockets one address may have open before their CONNECT completes (hardening §1.12). */
  maxPendingPerAddress: number;
}

/** Everything a connection needs from the gateway. */
export interface ConnectionDeps {
  gatewayId: string;
  authenticator: Authenticator;
  throttle: LoginThrottle;
  clientIds: ClientIds;
  /** The dialect of each identity decides its topic rules. */
  routerFor(identity: Identity): DialectRouter;
  bus: Bus;
  presence: Presence;
  logger: Logger;
  metrics: GatewayMetrics;
  limits: ConnectionLimits;
  /** Connection and message quotas. */
  quotas: GatewayLimits;
  retained: RetainedStore;
  /** Applications' retained messages, keyed under their tenant. */
  appRetained: RetainedStore;
  sessions: { store: SessionStore; maxExpirySeconds: number };
  commands: CommandDeliverySettings;
  /** Starts delivering the device's queued commands (at its first subscription). */
  deliverCommands(connection: MqttConnection): CommandDelivery;
  /** An application's delivery from the streams its subscriptions read. */
  applicationFeed(connection: MqttConnection): ApplicationFeed;
  /** Called once the connection holds its device (after CONNACK). */
  registerDevice(connection: MqttConnection): void;
  onClose(connection: MqttConnection): void;
}

type Will = NonNullable<IConnectPacket['will']>;

const ACKS = new Set(['puback', 'pubrec', 'pubrel', 'pubcomp']);

/** One client connection: parses packets with mqtt-packet and hands each to its handler, in order. */
export class MqttConnection {
  readonly id = randomUUID();
  state: 'awaiting-connect' | 'connecting' | 'connected' | 'closed' = 'awaiting-connect';
  protocolVersion: 3 | 4 | 5 = 4;
  clientId = '';
  identity: Identity | undefined;
  will: Will | undefined;
  readonly subscriptions = new Map<string, number>();
  /** MQTT 5 options of the subscriptions that set them [MQTT-3.8.3.1]. */
  readonly subscriptionOptions = new Map<string, { noLocal: boolean; retainAsPublished: boolean }>();
  /** When CONNACK was sent (ms since the epoch). */
  connectedAt = 0;
  /** MQTT 5: the largest packet the client accepts; a larger PUBLISH is not sent to it [MQTT-3.1.2-24]. */
  clientMaximumPacketSize = Number.POSITIVE_INFINITY;
  /** QoS 1/2 PUBLISH packet ids being stored; a DUP resend of one of these is not stored twice. */
  readonly inFlight = new Set<number>();
  /** QoS 2 packet ids acknowledged with PUBREC and waiting for PUBREL [MQTT-4.3.3]. */
  readonly awaitingRelease = new Set<number>();
  /** Outbound QoS 1/2 PUBLISHes (commands, retained messages) the client has not completed. */
  outbound = new OutboundWindow<OutboundFlight>(20);
  /** KV revision of this connection's presence entry, once written. */
  presenceRevision: number | undefined;
  /** MQTT 5 topic aliases the client set on this connection [MQTT-3.3.2-10]. */
  readonly topicAliases = new Map<number, string>();
  /** Set at CONNECT; a session with an expiry is stored in KV and outlives the connection. */
  session: SessionState | undefined;
  /** Delivery of queued commands, from the first granted subscription on. */
  commands: CommandDelivery | undefined;
  /** An application's delivery of broker messages and device events. */
  feed: ApplicationFeed | undefined;
  /** Acks leave in the order their PUBLISHes arrived [MQTT-4.6.0-2]. */
  ackChain: Promise<void> = Promise.resolve();
  readonly logger: Logger;
  private readonly parser = mqttPacket.parser();
  private dispatchChain: Promise<void> = Promise.resolve();
  private corked = false;
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly connectDeadline: NodeJS.Timeout;

  constructor(
    readonly socket: Duplex & { remoteAddress?: string | undefined },
    readonly deps: ConnectionDeps,
  ) {
    this.logger = deps.logger.child({ connection: this.id });
    this.connectDeadline = setTimeout(() => this.close('protocol-error', undefined, 'no CONNECT in time'), deps.limits.connectTimeoutMs);
    this.parser.on('packet', (packet: Packet) => {
      this.keepAlive?.refresh();
      this.dispatchChain = this.dispatchChain.then(() => dispatch(this, packet)).catch((error: unknown) => {
        this.logger.error({ err: error }, 'packet handler failed');
        deps.metrics.rejections.inc({ reason: 'internal-error' });
        this.close('protocol-error', ReasonCode.implementationSpecificError, 'internal error');
      });
    });
    this.parser.on('error', (error: Error) => {
      deps.metrics.rejections.inc({ reason: 'malformed-packet' });
      this.close('protocol-error', ReasonCode.malformedPacket, error.message);
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close('socket-error'));
    socket.on('close', () => this.close('socket-error'));
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.parser.parse(chunk);
    // The parser knows the Remaining Length as soon as the fixed header is in; refuse an oversized
    // packet then, before its body is buffered (hardening §1.1, §1.10).
    const pending = (this.parser as unknown as { packet?: { length?: number } }).packet?.length ?? 0;
    if (pending > this.deps.limits.maxPacketSize) {
      this.deps.metrics.rejections.inc({ reason: 'packet-too-large' });
      this.close('limit-exceeded', ReasonCode.packetTooLarge, `packet of ${pending} bytes exceeds ${this.deps.limits.maxPacketSize}`);
    }
  }

  /** Writes one packet in the protocol version of this connection. */
  send(packet: Packet): void {
    if (this.state === 'closed' || this.socket.destroyed) return;
    // A successful MQTT 5 ack goes out in its short form (Remaining Length 2, [MQTT-3.4.2-1]): mqtt-packet
    // writes that only for an explicit 0, and some clients (paho-mqtt 1.6) cannot read the long form.
    const short = this.protocolVersion === 5 && ACKS.has(packet.cmd) && (packet as { reasonCode?: number }).reasonCode === undefined;
    // Packets written in one tick leave in one write (e.g. the PUBACKs of a batch of stored messages).
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    const bytes = mqttPacket.generate(short ? ({ ...packet, reasonCode: 0 } as Packet) : packet, { protocolVersion: this.protocolVersion });
    if (bytes.length > this.clientMaximumPacketSize && packet.cmd === 'publish') {
      // [MQTT-3.1.2-25] a message the client cannot take is discarded, as if it had been delivered.
      this.deps.metrics.rejections.inc({ reason: 'client-maximum-packet-size' });
      const dropped = packet.messageId === undefined ? undefined : this.outbound.drop(packet.messageId);
      // A command too large for this client will never fit: it leaves the queue instead of coming back.
      if (dropped?.kind === 'command') dropped.message.term();
      this.logger.warn({ topic: packet.topic, bytes: bytes.length, maximum: this.clientMaximumPacketSize }, 'message larger than the client accepts, not sent');
      return;
    }
    this.socket.write(bytes);
  }

  /**
   * Starts what the subscriptions receive: a device's queued commands (once per connection), or what an
   * application's subscriptions match (resolves once its reading position is fixed).
   */
  async startDelivery(): Promise<void> {
    if (this.identity?.application) {
      this.feed ??= this.deps.applicationFeed(this);
      return this.feed.ensure();
    }
    if (this.commands) return;
    this.commands = this.deps.deliverCommands(this);
    this.commands.start().catch((error: unknown) => this.logger.error({ err: error }, 'could not start command delivery'));
  }

  /** CONNECT arrived in time: the deadline for it no longer applies (authentication may take a while). */
  connectReceived(): void {
    clearTimeout(this.connectDeadline);
  }

  /** Starts keepalive supervision: the connection closes after 1.5 × `seconds` of silence [MQTT-3.1.2-24]. */
  startKeepAlive(seconds: number): void {
    if (seconds > 0) this.keepAlive = setTimeout(() => this.close('keepalive-timeout', ReasonCode.keepAliveTimeout, 'keepalive timeout'), seconds * 1500);
  }

  /**
   * Ends the connection once. For MQTT 5 a server DISCONNECT with `reasonCode` precedes the close. The
   * Last Will is published unless the client disconnected normally [MQTT-3.1.2-8].
   */
  close(reason: DisconnectReason, reasonCode?: number, detail?: string): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    if (wasConnected && this.protocolVersion === 5 && reasonCode !== undefined) {
      this.send({ cmd: 'disconnect', reasonCode, properties: detail ? { reasonString: detail.slice(0, 200) } : {} });
    }
    this.state = 'closed';
    clearTimeout(this.connectDeadline);
    clearTimeout(this.keepAlive);
    if (detail) this.logger.debug({ reason, detail }, 'closing connection');
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
    if (wasConnected) this.deps.clientIds.release(this);
    // Unacknowledged commands stay queued in JetStream for the next connection.
    this.commands?.stop();
    this.feed?.stop();
    if (wasConnected) endSession(this);
    this.outbound.clear();
    if (wasConnected && this.identity) {
      this.deps.metrics.connections.dec({ dialect: identityKind(this.identity) });
      const will = reason === 'client-disconnect' ? undefined : this.will;
      this.deps.presence.disconnected(this, reason, will);
    }
    this.deps.onClose(this);
  }
}
