import type { Packet } from 'mqtt-packet';
import { RawMqttClient, type RawConnectOptions } from './raw-client.js';
import { now } from './stats.js';

/** A message sent and not yet acknowledged. */
export interface Flight {
  /** When it was due (open loop) or sent (closed loop). */
  scheduledAt: bigint;
  sentAt: bigint;
}

/** What a {@link QoS1Publisher} reports as it goes. */
export interface PublisherListener {
  /** A PUBLISH was written. */
  sent(at: bigint): void;
  /** Its PUBACK arrived. */
  acked(flight: Flight, at: bigint): void;
}

/**
 * One device publishing QoS 1 messages over a {@link RawMqttClient}: at most `window` unacknowledged
 * at once; messages due while the window is full wait in a local queue, in order.
 */
export class QoS1Publisher {
  private readonly inFlight = new Map<number, Flight>();
  private readonly waiting: bigint[] = [];
  private nextId = 1;
  private seq = 0;
  /** Largest local queue seen (messages due but held back by the window). */
  maxQueued = 0;
  disconnected = false;

  private constructor(
    private readonly client: RawMqttClient,
    private readonly topic: string,
    private readonly payload: (seq: number) => Buffer,
    private readonly window: number,
    private readonly listener: PublisherListener,
  ) {
    client.onPacket = (packet) => this.received(packet);
    client.onClose = () => {
      this.disconnected = true;
    };
  }

  static async connect(options: RawConnectOptions, topic: string, payload: (seq: number) => Buffer, window: number, listener: PublisherListener): Promise<QoS1Publisher> {
    return new QoS1Publisher(await RawMqttClient.connect(options), topic, payload, window, listener);
  }

  get unacknowledged(): number {
    return this.inFlight.size;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Sends one message now if the window allows, else queues it; `scheduledAt` is when it was due. */
  offer(scheduledAt: bigint = now()): void {
    if (this.disconnected) return;
    if (this.inFlight.size < this.window) return this.send(scheduledAt);
    this.waiting.push(scheduledAt);
    if (this.waiting.length > this.maxQueued) this.maxQueued = this.waiting.length;
  }

  /** Drops the queued messages (the run is over). */
  clearQueue(): void {
    this.waiting.length = 0;
  }

  close(): void {
    this.client.disconnect();
  }

  private send(scheduledAt: bigint): void {
    while (this.inFlight.has(this.nextId)) this.nextId = (this.nextId % 65_535) + 1;
    const id = this.nextId;
    this.nextId = (this.nextId % 65_535) + 1;
    const sentAt = now();
    this.inFlight.set(id, { scheduledAt, sentAt });
    this.client.publish(this.topic, this.payload(this.seq++), 1, id);
    this.listener.sent(sentAt);
  }

  private received(packet: Packet): void {
    if (packet.cmd !== 'puback') return;
    const ackedAt = now();
    const flight = this.inFlight.get(packet.messageId ?? 0);
    if (!flight) return;
    this.inFlight.delete(packet.messageId ?? 0);
    this.listener.acked(flight, ackedAt);
    const due = this.waiting.shift();
    if (due !== undefined) this.send(due);
  }
}
