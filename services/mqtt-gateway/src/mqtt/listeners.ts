import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ConnectionHub } from './connection-hub.js';
import { listenTcp, type MqttListener } from './listener.js';
import { listenTls, type TlsOptions } from './tls-listener.js';
import { listenWebSocket } from './ws-listener.js';

/** URL scheme of each kind of listener. */
export const SCHEMES = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss' } as const;

type ListenerSettings = Pick<GatewayConfig, 'MQTT_HOST' | 'MQTT_PORT' | 'MQTT_MAX_PACKET_SIZE' | 'MQTT_CONNECT_TIMEOUT_MS'> &
  Partial<Pick<GatewayConfig, 'MQTT_TLS_PORT' | 'MQTT_TLS_CERT_FILE' | 'MQTT_TLS_KEY_FILE' | 'MQTT_TLS_CA_FILE' | 'MQTT_TLS_CRL_FILE' | 'MQTT_TLS_CLIENT_CERTS' | 'MQTT_TLS_HANDSHAKE_TIMEOUT_MS' | 'MQTT_WS_PORT' | 'MQTT_WSS_PORT' | 'MQTT_WS_PATH'>>;

/** Starts TCP, and TLS, WebSocket and secure WebSocket when their ports are configured, all on one hub. */
export async function startListeners(hub: ConnectionHub, settings: ListenerSettings, metrics: GatewayMetrics, logger: Logger): Promise<{ tcp: MqttListener } & Partial<Record<'tls' | 'ws' | 'wss', MqttListener>>> {
  const started: { tcp: MqttListener } & Partial<Record<'tls' | 'ws' | 'wss', MqttListener>> = { tcp: await listenTcp(hub, settings.MQTT_HOST, settings.MQTT_PORT) };
  const tlsOptions = (requestClientCertificate: boolean): TlsOptions => ({
    key: readFileSync(settings.MQTT_TLS_KEY_FILE!),
    cert: readFileSync(settings.MQTT_TLS_CERT_FILE!),
    ca: settings.MQTT_TLS_CA_FILE ? readFileSync(settings.MQTT_TLS_CA_FILE) : undefined,
    crl: settings.MQTT_TLS_CRL_FILE ? readFileSync(settings.MQTT_TLS_CRL_FILE) : undefined,
    requestClientCertificate,
    handshakeTimeoutMs: settings.MQTT_TLS_HANDSHAKE_TIMEOUT_MS ?? 10_000,
    onClientError: (error, remoteAddress) => {
      metrics.rejections.inc({ reason: 'tls-handshake' });
      logger.debug({ err: error.message, remoteAddress }, 'TLS handshake failed');
    },
  });
  try {
    if (settings.MQTT_TLS_PORT !== undefined) started.tls = await listenTls(hub, settings.MQTT_HOST, settings.MQTT_TLS_PORT, tlsOptions(settings.MQTT_TLS_CLIENT_CERTS ?? false));
    const ws = { path: settings.MQTT_WS_PATH ?? '/mqtt', maxPayload: settings.MQTT_MAX_PACKET_SIZE, upgradeTimeoutMs: settings.MQTT_CONNECT_TIMEOUT_MS };
    if (settings.MQTT_WS_PORT !== undefined) started.ws = await listenWebSocket(hub, settings.MQTT_HOST, settings.MQTT_WS_PORT, ws);
    if (settings.MQTT_WSS_PORT !== undefined) started.wss = await listenWebSocket(hub, settings.MQTT_HOST, settings.MQTT_WSS_PORT, { ...ws, tls: tlsOptions(false) });
  } catch (error) {
    await Promise.all(Object.values(started).map((listener) => listener.close()));
    throw error;
  }
  return started;
}
