import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

/** A bare TCP client that speaks MQTT through mqtt-packet, so tests can send what real clients never would. */
export interface RawClient {
  send(packet: Packet): void;
  sendBytes(bytes: Buffer): void;
  /** The next packet received with `cmd` (earlier ones of other kinds are kept). */
  next<C extends Packet['cmd']>(cmd: C, timeoutMs?: number): Promise<Extract<Packet, { cmd: C }>>;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
  destroy(): void;
}

/** Opens a raw connection speaking `protocolVersion`. */
export async function rawClient(port: number, protocolVersion: 3 | 4 | 5 = 4): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const parser = mqttPacket.parser({ protocolVersion });
  const received: Packet[] = [];
  const waiters: (() => void)[] = [];
  let closed = false;
  parser.on('packet', (packet: Packet) => {
    received.push(packet);
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.on('error', () => undefined);
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      for (const wake of waiters.splice(0)) wake();
      resolve();
    }),
  );
  return {
    send: (packet) => socket.write(mqttPacket.generate(packet, { protocolVersion })),
    sendBytes: (bytes) => socket.write(bytes),
    async next(cmd, timeoutMs = 3_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = received.findIndex((packet) => packet.cmd === cmd);
        if (index >= 0) return received.splice(index, 1)[0] as never;
        if (closed) throw new Error(`connection closed before ${cmd}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${cmd} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, left);
        });
      }
    },
    closed: closedPromise,
    isClosed: () => closed,
    destroy: () => socket.destroy(),
  };
}
