import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import type { ConnectionHub } from './connection-hub.js';
import { listenOn, type MqttListener } from './listener.js';
import { dropOnClientError, tlsServerOptions, type TlsOptions } from './tls-listener.js';

/** Settings of a WebSocket listener. */
export interface WebSocketOptions {
  /** URL path clients connect to; other paths get 404. */
  path?: string | undefined;
  /** Largest WebSocket message, refused from its frame header (close 1009): the gateway's max packet size. */
  maxPayload: number;
  /** Time a client has to send its upgrade request's headers (slow clients, hardening §1.12). */
  upgradeTimeoutMs?: number | undefined;
  /** Serve `wss://` with this certificate (client certificates are not mapped to devices over WebSocket). */
  tls?: TlsOptions | undefined;
}

/** Sub-protocols served: `mqtt` [MQTT-6.0.0-4], and `mqttv3.1`, which MQTT 3.1 clients (MQTT.js too) offer. */
const SUB_PROTOCOLS = ['mqtt', 'mqttv3.1'];

function chooseSubProtocol(offered: Iterable<string>): string | undefined {
  const set = new Set(offered);
  return SUB_PROTOCOLS.find((protocol) => set.has(protocol));
}

function refuseUpgrade(socket: Duplex, status: string, reason: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}

/** Serves one accepted WebSocket as an MQTT stream. */
function serve(hub: ConnectionHub, ws: WebSocket, request: IncomingMessage): void {
  const stream = createWebSocketStream(ws);
  // MQTT travels in binary frames only; any other data frame closes the connection [MQTT-6.0.0-1].
  // Prepended so the text never reaches the stream: pushes after destroy() are dropped.
  ws.prependListener('message', (_data, isBinary) => {
    if (isBinary) return;
    ws.close(1003, 'MQTT needs binary frames');
    stream.destroy();
  });
  // The stream only ends its readable side when the peer closes; the connection listens for 'close'.
  ws.once('close', () => stream.destroy());
  // Frames and packets need not align [MQTT-6.0.0-2]: the connection's parser reads a byte stream.
  hub.accept(Object.assign(stream, { remoteAddress: request.socket.remoteAddress }));
}

/** MQTT over WebSocket (or over WebSocket over TLS when `options.tls` is given). */
export function listenWebSocket(hub: ConnectionHub, host: string, port: number, options: WebSocketOptions): Promise<MqttListener> {
  const path = options.path ?? '/mqtt';
  const upgradeTimeoutMs = options.upgradeTimeoutMs ?? 10_000;
  const httpOptions: http.ServerOptions = { headersTimeout: upgradeTimeoutMs, connectionsCheckingInterval: Math.min(1_000, upgradeTimeoutMs) };
  const onRequest = (_request: IncomingMessage, response: http.ServerResponse) => response.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end();
  const server = options.tls ? https.createServer({ ...tlsServerOptions(options.tls), ...httpOptions }, onRequest) : http.createServer(httpOptions, onRequest);
  if (options.tls) server.on('tlsClientError', dropOnClientError(options.tls));
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: options.maxPayload,
    // Compression off: inflating is where WebSocket brokers' recent CVEs were (hardening §1.16),
    // and a small frame could inflate past maxPayload's intent.
    perMessageDeflate: false,
    handleProtocols: (offered) => chooseSubProtocol(offered) ?? false,
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== path) return refuseUpgrade(socket, '404 Not Found', `MQTT is served at ${path}`);
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
    // The client must offer `mqtt` [MQTT-6.0.0-3]; anything else is refused before the upgrade.
    if (!chooseSubProtocol(offered)) return refuseUpgrade(socket, '400 Bad Request', 'WebSocket sub-protocol mqtt required');
    request.socket.setNoDelay(true);
    wss.handleUpgrade(request, socket, head, (ws) => serve(hub, ws, request));
  });
  return listenOn(server, host, port, options.tls ? 'MQTT over secure WebSocket (MQTT_WSS_PORT)' : 'MQTT over WebSocket (MQTT_WS_PORT)');
}
