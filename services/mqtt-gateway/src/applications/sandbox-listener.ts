import net from 'node:net';
import type { ConnectionHub } from '../mqtt/connection-hub.js';
import { listenOn, type MqttListener } from '../mqtt/listener.js';

/**
 * The development sandbox: plain MQTT on 127.0.0.1 only, whatever MQTT_HOST says, and a socket from any
 * other address is closed at once (it could only arrive through a forwarded port).
 */
export async function startSandbox(hub: ConnectionHub, port: number): Promise<{ hub: ConnectionHub; listener: MqttListener }> {
  const server = net.createServer({ noDelay: true }, (socket) => {
    if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(socket.remoteAddress ?? '')) return socket.destroy();
    socket.setNoDelay(true);
    hub.accept(socket);
  });
  return { hub, listener: await listenOn(server, '127.0.0.1', port, 'MQTT sandbox (MQTT_SANDBOX_PORT)') };
}
