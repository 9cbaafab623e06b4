import net from 'node:net';
import mqttPacket, { type Packet, type QoS } from 'mqtt-packet';

/** Where and as whom a {@link RawMqttClient} connects. */
export interface RawConnectOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  /** Keepalive asked for in CONNECT, in seconds (the client itself sends no PINGREQ). */
  keepaliveS?: number;
  protocolVersion?: 4 | 5;
  /** Time allowed from the TCP connect to the CONNACK. */
  timeoutMs?: number;
}

/** The server answered CONNECT with a refusal (the code is the CONNACK return/reason code). */
export class ConnectRefused extends Error {
  constructor(readonly code: number) {
    super(`CONNACK refused with code 0x${code.toString(16)}`);
  }
}

/**
 * A minimal MQTT client: one TCP socket, mqtt-packet to encode and decode, nothing else — no timers,
 * no reconnection, no session state — so one process can hold tens of thousands of them.
 */
export class RawMqttClient {
  /** Every packet after the CONNACK. */
  onPacket: ((packet: Packet) => void) | undefined;
  /** The socket closed (by either side). */
  onClose: (() => void) | undefined;
  closed = false;

  private constructor(
    private readonly socket: net.Socket,
    readonly protocolVersion: 4 | 5,
  ) {}

  /** Opens a connection and resolves once the server accepted it with CONNACK. */
  static connect(options: RawConnectOptions): Promise<RawMqttClient> {
    const protocolVersion = options.protocolVersion ?? 4;
    return new Promise<RawMqttClient>((resolve, reject) => {
      const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
      const client = new RawMqttClient(socket, protocolVersion);
      const parser = mqttPacket.parser({ protocolVersion });
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error('timeout')), options.timeoutMs ?? 10_000);
      parser.on('packet', (packet: Packet) => {
        if (settled) return client.onPacket?.(packet);
        if (packet.cmd !== 'connack') return fail(new Error(`expected CONNACK, got ${packet.cmd}`));
        const code = packet.reasonCode ?? packet.returnCode ?? 0;
        if (code !== 0) return fail(new ConnectRefused(code));
        settled = true;
        clearTimeout(timer);
        resolve(client);
      });
      parser.on('error', (error: Error) => fail(error));
      socket.on('data', (chunk: Buffer) => parser.parse(chunk));
      socket.on('error', (error: NodeJS.ErrnoException) => fail(new Error(error.code ?? error.message)));
      socket.on('close', () => {
        client.closed = true;
        fail(new Error('closed before CONNACK'));
        client.onClose?.();
      });
      socket.once('connect', () => {
        client.send({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion,
          clean: true,
          clientId: options.clientId,
          keepalive: options.keepaliveS ?? 600,
          ...(options.username === undefined ? {} : { username: options.username }),
          ...(options.password === undefined ? {} : { password: Buffer.from(options.password) }),
        });
      });
    });
  }

  send(packet: Packet): void {
    if (!this.closed) this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  publish(topic: string, payload: Buffer, qos: QoS, messageId?: number): void {
    this.send({ cmd: 'publish', topic, payload, qos, retain: false, dup: false, ...(messageId === undefined ? {} : { messageId }) });
  }

  /** Sends DISCONNECT and closes the socket. */
  disconnect(): void {
    this.send({ cmd: 'disconnect' });
    this.socket.end();
  }

  /** Drops the connection without DISCONNECT. */
  destroy(): void {
    this.socket.destroy();
  }
}
