import net, { type AddressInfo, type Server } from 'node:net';
import type { ConnectionHub } from './connection-hub.js';

/** A listening server of one transport. */
export interface MqttListener {
  readonly address: AddressInfo;
  /** Stops accepting new connections (open ones are closed by the hub). */
  close(): Promise<void>;
}

/** Starts `server` on `host:port` (port 0 picks a free one), with a message a person can act on when the port is taken. */
export async function listenOn(server: Server, host: string, port: number, what: string): Promise<MqttListener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new Error(`${what} port ${host}:${port} is already in use (another MQTT broker?): stop it or choose another port`, { cause: error }));
      else reject(error);
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** MQTT over plain TCP. */
export function listenTcp(hub: ConnectionHub, host: string, port: number): Promise<MqttListener> {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    hub.accept(socket);
  });
  return listenOn(server, host, port, 'MQTT (MQTT_PORT)');
}
