import net, { type AddressInfo } from 'node:net';
import { MqttConnection, type ConnectionDeps } from './connection.js';
import { ReasonCode } from './reason-codes.js';

/** A listening MQTT TCP server and its open connections. */
export interface MqttListener {
  readonly address: AddressInfo;
  readonly connections: ReadonlySet<MqttConnection>;
  /** Stops accepting, sends MQTT 5 clients DISCONNECT 0x8B, waits for in-flight acks, closes sockets. */
  close(): Promise<void>;
}

/** Listens for MQTT over TCP on `host:port` (port 0 picks a free one). */
export async function listenMqtt(deps: Omit<ConnectionDeps, 'onClose'>, host: string, port: number): Promise<MqttListener> {
  const connections = new Set<MqttConnection>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    connections.add(new MqttConnection(socket, { ...deps, onClose: (connection) => connections.delete(connection) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new Error(`MQTT port ${host}:${port} is already in use (another MQTT broker?): stop it or set MQTT_PORT`, { cause: error }));
      else reject(error);
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    connections,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const open = [...connections];
      // Finish acks for what was already stored before telling clients to go.
      await Promise.race([Promise.all(open.map((connection) => connection.ackChain)), new Promise((resolve) => setTimeout(resolve, 5_000))]);
      for (const connection of open) connection.close('server-shutdown', ReasonCode.serverShuttingDown, 'server shutting down');
      await closed;
    },
  };
}
