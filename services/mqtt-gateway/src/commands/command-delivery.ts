import { createHash } from 'node:crypto';
import type { Bus } from '@flotilla/bus';
import { DeviceCommandDelivered, DeviceCommandExpired, DeviceCommandIssued, DeviceCommandPushed, eventSubject } from '@flotilla/contracts';
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { MqttConnection } from '../mqtt/connection.js';
import { grantedQos } from '../mqtt/topic-rules.js';
import { COMPLETED_COMMANDS_KEPT, persistSession, saveSession } from '../sessions/session-lifecycle.js';

/** A command sent to the device and not yet acknowledged by it. */
export interface InFlightCommand {
  kind: 'command';
  message: JsMsg;
  event: DeviceCommandIssued;
}

/** A command flow of a resumed session, waiting for the queue to hand its command over again. */
export interface ResumedCommand {
  kind: 'resumed';
  commandId: string;
}

/** An application message, by its place in its stream (fetched again to resend it on a resumed session). */
export interface StreamFlight {
  kind: 'stream';
  stream: string;
  seq: number;
}

/** What an outbound QoS 1/2 PUBLISH carried: a queued command, a resumed one, a retained or an application message. */
export type OutboundFlight = InFlightCommand | ResumedCommand | StreamFlight | { kind: 'retained'; topic: string };

/** Settings of command delivery. */
export interface CommandDeliverySettings {
  gatewayId: string;
  /** How long JetStream waits for an ack before it hands the command out again. */
  ackWaitMs: number;
  /** Pause before a command with no matching subscription is offered again. */
  retryUnsubscribedMs: number;
  /** Unused per-device consumers are removed after this; their commands stay queued. */
  inactiveMs: number;
}

/** Durable consumer name of one device's commands: short, and safe whatever the ids contain. */
export function commandConsumerName(tenant: string, deviceId: string): string {
  return `cmd_${createHash('sha256').update(`${tenant}\u0000${deviceId}`).digest('hex').slice(0, 32)}`;
}

/**
 * Delivers a device's queued commands from the COMMANDS work queue while it is connected. The consumer
 * is recreated at each start so every command not yet acknowledged by the device is offered again
 * (after a reconnect, or after another gateway replica died mid-delivery); a command is acked in
 * JetStream — removed from the queue — only after the device's PUBACK (QoS 1) or PUBCOMP (QoS 2).
 */
export class CommandDelivery {
  private messages: ConsumerMessages | undefined;
  private stopped = false;

  constructor(
    private readonly connection: MqttConnection,
    private readonly bus: Bus,
    private readonly settings: CommandDeliverySettings,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { tenant, deviceId } = this.connection.identity!;
    const { jsm, js } = this.bus.connection;
    const stream = this.bus.names.stream('commands');
    const durable = commandConsumerName(tenant, deviceId);
    await jsm.consumers.delete(stream, durable).catch(() => undefined);
    await jsm.consumers.add(stream, {
      durable_name: durable,
      filter_subject: this.bus.names.subject(eventSubject('commands', tenant, deviceId, DeviceCommandIssued.type)),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: this.settings.ackWaitMs * 1_000_000,
      max_ack_pending: this.connection.outbound.limit,
      max_deliver: -1,
      inactive_threshold: this.settings.inactiveMs * 1_000_000,
    });
    if (this.stopped) return;
    const consumer = await js.consumers.get(stream, durable);
    this.messages = await consumer.consume({ max_messages: this.connection.outbound.limit });
    void this.loop(this.messages).catch((error: unknown) => this.logger.warn({ err: error }, 'command delivery ended'));
  }

  stop(): void {
    this.stopped = true;
    this.messages?.stop();
  }

  private async loop(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      if (this.stopped || this.connection.state !== 'connected') break;
      await this.offer(message);
    }
  }

  private async offer(message: JsMsg): Promise<void> {
    const identity = this.connection.identity!;
    let event: DeviceCommandIssued;
    try {
      event = DeviceCommandIssued.parse(message.json());
    } catch (error) {
      await this.bus.deadLetter({ stream: this.bus.names.stream('commands'), consumer: 'gateway-commands', seq: message.seq, subject: message.subject }, message.data, `invalid command: ${(error as Error).message}`);
      return message.term();
    }
    const base = { commandId: event.data.commandId, deviceId: identity.deviceId, taskId: event.data.taskId, gatewayId: this.settings.gatewayId };
    if (event.data.expiresAt && event.data.expiresAt.getTime() <= Date.now()) {
      await this.bus.publish(DeviceCommandExpired, { tenant: identity.tenant, subjectId: identity.deviceId, id: `expired:${event.data.commandId}`, causationId: event.id, correlationId: event.correlationId, data: { ...base, expiredAt: new Date() } });
      return message.ack();
    }
    const rendered = this.connection.deps.routerFor(identity).renderCommand(identity, event.data.command);
    if (!rendered) {
      await this.bus.deadLetter({ stream: this.bus.names.stream('commands'), consumer: 'gateway-commands', seq: message.seq, subject: message.subject }, message.data, `the ${identity.dialect} dialect has no form for ${event.data.command.type}`);
      return message.term();
    }
    // Only what the client subscribed to, at most at the QoS it was granted [MQTT-3.8.4-6].
    const granted = grantedQos(this.connection.subscriptions, rendered.topic);
    if (granted < 0) return message.nak(this.settings.retryUnsubscribedMs);
    if (this.connection.session?.completed.includes(event.data.commandId)) {
      // Completed by the client before a crash lost the queue's ack: it is not sent again.
      return message.ack();
    }
    const resumed = this.connection.outbound.find((flight) => flight.kind === 'resumed' && flight.commandId === event.data.commandId);
    if (resumed) {
      // The session was resumed mid-flow: continue it under its packet id instead of starting over.
      resumed.entry.value = { kind: 'command', message, event };
      if (resumed.entry.released) this.connection.send({ cmd: 'pubrel', messageId: resumed.id });
      else this.connection.send({ cmd: 'publish', topic: rendered.topic, payload: rendered.payload, qos: resumed.entry.qos, retain: false, dup: true, messageId: resumed.id });
      return;
    }
    const qos = Math.min(rendered.qos, granted) as 0 | 1 | 2;
    const messageId = qos === 0 ? undefined : this.connection.outbound.open(qos, { kind: 'command', message, event });
    if (qos > 0 && messageId === undefined) return message.nak(this.settings.retryUnsubscribedMs);
    if (qos === 2) {
      // Exactly once across a crash: the open flow is stored before the PUBLISH leaves.
      await persistSession(this.connection);
      if (this.connection.state !== 'connected') return;
    } else if (messageId !== undefined) saveSession(this.connection);
    this.connection.send({ cmd: 'publish', topic: rendered.topic, payload: rendered.payload, qos, retain: false, dup: false, ...(messageId === undefined ? {} : { messageId }) });
    this.connection.deps.metrics.messagesOut.inc({ qos: String(qos) });
    await this.bus.publish(DeviceCommandPushed, {
      tenant: identity.tenant,
      subjectId: identity.deviceId,
      id: `pushed:${event.data.commandId}:${this.connection.id}`,
      causationId: event.id,
      correlationId: event.correlationId,
      data: { ...base, topic: rendered.topic, qos, protocolLevel: this.connection.protocolVersion, pushedAt: new Date() },
    });
    if (qos === 0) message.ack();
  }

  /** The device completed the flow of `flight` (PUBACK or PUBCOMP): remove the command from the queue. */
  async delivered(flight: InFlightCommand): Promise<void> {
    const identity = this.connection.identity!;
    const session = this.connection.session;
    if (session && session.expirySeconds > 0) {
      // Remembered (and stored) before the queue forgets the command, so a crash in between cannot deliver it twice.
      session.completed.push(flight.event.data.commandId);
      if (session.completed.length > COMPLETED_COMMANDS_KEPT) session.completed.splice(0, session.completed.length - COMPLETED_COMMANDS_KEPT);
      await persistSession(this.connection);
    }
    await flight.message.ackAck();
    this.connection.deps.metrics.deliverySeconds.observe((Date.now() - flight.event.occurredAt.getTime()) / 1000);
    await this.bus.publish(DeviceCommandDelivered, {
      tenant: identity.tenant,
      subjectId: identity.deviceId,
      id: `delivered:${flight.event.data.commandId}`,
      causationId: flight.event.id,
      correlationId: flight.event.correlationId,
      data: { commandId: flight.event.data.commandId, deviceId: identity.deviceId, taskId: flight.event.data.taskId, gatewayId: this.settings.gatewayId, deliveredAt: new Date() },
    });
  }
}
