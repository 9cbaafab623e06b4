import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { ConnectionHub } from './connection-hub.js';
import { listenOn, type MqttListener } from './listener.js';

/**
 * Mozilla "intermediate" (v5.7) without the DHE suites: ECDHE key exchange and AEAD ciphers only
 * (hardening §3.3). The TLS 1.3 suites must be listed too, or Node turns TLS 1.3 off.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Server certificate and client-certificate policy of a TLS listener (MQTT over TLS or WebSocket over TLS). */
export interface TlsOptions {
  /** PEM private key of the server certificate. */
  key: string | Buffer;
  /** PEM server certificate, followed by its intermediates. */
  cert: string | Buffer;
  /** PEM CA(s) that client certificates must chain to; without it, Node's public roots. */
  ca?: string | Buffer | undefined;
  /** PEM certificate revocation list(s) of that CA: a listed client certificate fails the handshake. */
  crl?: string | Buffer | undefined;
  /**
   * Ask every client for a certificate and refuse the handshake without a valid one (mTLS). When false,
   * no certificate is asked for and devices authenticate in CONNECT.
   */
  requestClientCertificate: boolean;
  /** A client that has not finished the handshake by then is dropped (hardening §1.12, §3.2). */
  handshakeTimeoutMs: number;
  /** Told about every failed or abandoned handshake (for logs and metrics), once its socket is destroyed. */
  onClientError?: ((error: Error, remoteAddress: string | undefined) => void) | undefined;
}

/** The node:tls server options that {@link TlsOptions} stand for; shared with WebSocket over TLS. */
export function tlsServerOptions(options: TlsOptions): tls.TlsOptions {
  return {
    key: options.key,
    cert: options.cert,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.crl !== undefined ? { crl: options.crl } : {}),
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
    // Mozilla intermediate leaves the choice to clients: they know whether they have AES hardware.
    honorCipherOrder: false,
    // Node checks the chain (issuer signature, not the issuer's name alone) and the validity dates
    // after the handshake and destroys the socket before 'secureConnection' when it fails.
    requestCert: options.requestClientCertificate,
    rejectUnauthorized: true,
    handshakeTimeout: options.handshakeTimeoutMs,
  };
}

/**
 * Handler of a server's 'tlsClientError'. Node only reports a handshake that timed out or failed: the
 * socket stays open (and holds its slot) unless the handler destroys it (seen on Node 20.20).
 */
export function dropOnClientError(options: Pick<TlsOptions, 'onClientError'>) {
  return (error: Error, socket: Duplex & { remoteAddress?: string | undefined }) => {
    socket.destroy();
    options.onClientError?.(error, socket.remoteAddress);
  };
}

/** MQTT over TLS: each verified connection is served by `hub` like a TCP one. */
export function listenTls(hub: ConnectionHub, host: string, port: number, options: TlsOptions): Promise<MqttListener> {
  const server = tls.createServer(tlsServerOptions(options), (socket) => {
    socket.setNoDelay(true);
    hub.accept(socket);
  });
  server.on('tlsClientError', dropOnClientError(options));
  return listenOn(server, host, port, 'MQTT over TLS (MQTT_TLS_PORT)');
}
