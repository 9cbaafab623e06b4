/** What the gateway still waits for on one outbound QoS 1/2 PUBLISH. */
export interface OutboundEntry<T> {
  qos: 1 | 2;
  /** QoS 2: PUBREC received and PUBREL sent; waiting for PUBCOMP. */
  released: boolean;
  value: T;
}

/**
 * Packet identifiers of the PUBLISHes the gateway sent and the client has not completed [MQTT-2.2.1]:
 * an id is reused only after its flow ended, and at most `limit` are outstanding (the client's Receive
 * Maximum, [MQTT-3.3.4-7]).
 */
export class OutboundWindow<T> {
  private readonly entries = new Map<number, OutboundEntry<T>>();
  private next = 1;
  private waiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Resolves once a flow has ended (a packet id is free again) or the window was cleared. */
  whenFree(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private freed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Reserves a free packet id for `value`, or undefined when the window is full. */
  open(qos: 1 | 2, value: T): number | undefined {
    if (this.entries.size >= this.limit) return undefined;
    while (this.entries.has(this.next)) this.next = (this.next % 65_535) + 1;
    const id = this.next;
    this.next = (this.next % 65_535) + 1;
    this.entries.set(id, { qos, released: false, value });
    return id;
  }

  /** PUBACK: ends a QoS 1 flow. */
  acknowledge(id: number): T | undefined {
    const entry = this.entries.get(id);
    if (entry?.qos !== 1) return undefined;
    this.entries.delete(id);
    this.freed();
    return entry.value;
  }

  /** PUBREC: a QoS 2 flow moves to waiting for PUBCOMP; true when the id was known. */
  received(id: number): boolean {
    const entry = this.entries.get(id);
    if (entry?.qos !== 2) return false;
    entry.released = true;
    return true;
  }

  /** PUBCOMP: ends a QoS 2 flow. */
  complete(id: number): T | undefined {
    const entry = this.entries.get(id);
    if (entry?.qos !== 2 || !entry.released) return undefined;
    this.entries.delete(id);
    this.freed();
    return entry.value;
  }

  /** Takes over a flow of a resumed session under its original packet id. */
  restore(id: number, qos: 1 | 2, released: boolean, value: T): void {
    this.entries.set(id, { qos, released, value });
  }

  /** The first flow whose value satisfies `match`, with its packet id. */
  find(match: (value: T) => boolean): { id: number; entry: OutboundEntry<T> } | undefined {
    for (const [id, entry] of this.entries) if (match(entry.value)) return { id, entry };
    return undefined;
  }

  /** Every open flow, by packet id. */
  flows(): IterableIterator<[number, OutboundEntry<T>]> {
    return this.entries.entries();
  }

  /** Ends a flow without an ack (its message no longer exists, or cannot be sent); returns what it carried. */
  drop(id: number): T | undefined {
    const entry = this.entries.get(id);
    if (entry && this.entries.delete(id)) this.freed();
    return entry?.value;
  }

  /** Forgets every flow (the connection ended; the commands stay queued). */
  clear(): void {
    this.entries.clear();
    this.freed();
  }
}
