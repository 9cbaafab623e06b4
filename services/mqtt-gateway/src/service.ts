import { APP_SUBJECT_ROOT, ApplicationCredential, DEVICE_CREDENTIALS_BUCKET, RETAINED_BUCKET } from '@flotilla/contracts';
import type { RunningService, ServiceContext } from '@flotilla/service-kit';
import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { ApplicationFeed, appStreamName } from './applications/app-feed.js';
import { applicationRouter } from './applications/application.router.js';
import { startSandbox } from './applications/sandbox-listener.js';
import { sandboxAuthenticator } from './auth/sandbox.authenticator.js';
import type { MqttConnection } from './mqtt/connection.js';
import type { Authenticator } from './auth/authenticator.js';
import { kvCredentialStore } from './auth/credential-store.js';
import { devCredentialsAuthenticator } from './auth/dev-credentials.authenticator.js';
import { firstOf, kvAuthenticator } from './auth/kv.authenticator.js';
import { loginThrottle } from './auth/login-throttle.js';
import { CommandDelivery } from './commands/command-delivery.js';
import type { GatewayConfig } from './config.js';
import { routerFor } from './dialects.js';
import { gatewayMetrics } from './metrics.js';
import { ClientIds } from './mqtt/client-ids.js';
import { createConnectionHub, type ConnectionHub } from './mqtt/connection-hub.js';
import { SCHEMES, startListeners } from './mqtt/listeners.js';
import { ReasonCode } from './mqtt/reason-codes.js';
import { GatewayLimits } from './limits/limits.js';
import { busPresence } from './presence/presence.js';
import { forwardRetainedChange } from './retained/retained-delivery.js';
import { kvRetainedStore } from './retained/retained-store.js';
import { SessionStore } from './sessions/session-store.js';

/** Settings of {@link startMqttGateway} (the gateway part of its configuration). */
export type GatewaySettings = Pick<GatewayConfig, 'MQTT_HOST' | 'MQTT_PORT' | 'GATEWAY_ID' | 'MQTT_MAX_PACKET_SIZE' | 'MQTT_CONNECT_TIMEOUT_MS' | 'MQTT_MAX_KEEPALIVE' | 'MQTT_RECEIVE_MAXIMUM'> &
  Partial<
    Pick<
      GatewayConfig,
      | 'GATEWAY_DEV_CREDENTIALS'
      | 'MQTT_AUTH_MAX_FAILURES'
      | 'MQTT_AUTH_WINDOW_MS'
      | 'MQTT_AUTH_LOCKOUT_MS'
      | 'MQTT_PRESENCE_TTL_MS'
      | 'MQTT_COMMAND_ACK_WAIT_MS'
      | 'MQTT_DEVICE_MESSAGE_RATE'
      | 'MQTT_TENANT_MESSAGE_RATE'
      | 'MQTT_MAX_CONNECTIONS'
      | 'MQTT_CONNECTION_RATE'
      | 'MQTT_CONNECTION_RATE_PER_ADDRESS'
      | 'MQTT_RECONNECT_RATE'
      | 'MQTT_TLS_PORT'
      | 'MQTT_TLS_CERT_FILE'
      | 'MQTT_TLS_KEY_FILE'
      | 'MQTT_TLS_CA_FILE'
      | 'MQTT_TLS_CRL_FILE'
      | 'MQTT_TLS_CLIENT_CERTS'
      | 'MQTT_TLS_HANDSHAKE_TIMEOUT_MS'
      | 'MQTT_WS_PORT'
      | 'MQTT_WSS_PORT'
      | 'MQTT_WS_PATH'
      | 'MQTT_MAX_SESSION_EXPIRY'
      | 'MQTT_TOPIC_ALIAS_MAXIMUM'
      | 'MQTT_MAX_SUBSCRIPTIONS'
      | 'MQTT_MAX_PENDING_PER_ADDRESS'
      | 'MQTT_APP_RETENTION_SECONDS'
      | 'MQTT_APP_MAX_BYTES'
      | 'MQTT_SANDBOX_PORT'
      | 'MQTT_SANDBOX_TENANT'
    >
  >;

export { DEVICE_CREDENTIALS_BUCKET, RETAINED_BUCKET } from '@flotilla/contracts';
/** Which connection holds each device, across replicas. */
export const PRESENCE_BUCKET = 'presence';
/** Replica heartbeats; entries expire after the presence TTL. */
export const REPLICAS_BUCKET = 'gateway-replicas';
/** Persistent MQTT sessions, so any replica can resume them. */
export const SESSIONS_BUCKET = 'mqtt-sessions';
/** Credentials and topic rules of applications (MQTT clients that are not devices). */
export const APPLICATION_CREDENTIALS_BUCKET = 'application-credentials';
/** Retained messages applications publish, by tenant and topic. */
export const APP_RETAINED_BUCKET = 'app-retained';

/** A running gateway: its TCP port, the port of every listener by kind, and its connections. */
export type RunningGateway = RunningService & { port: number; ports: Partial<Record<keyof typeof SCHEMES | 'sandbox', number>>; hub: ConnectionHub };

/** Starts the MQTT listeners; device publishes become events on the bus. */
export async function startMqttGateway(context: ServiceContext, settings: GatewaySettings): Promise<RunningGateway> {
  const logger = context.logger.child({ service: 'mqtt-gateway', gateway: settings.GATEWAY_ID });
  const presenceTtlMs = settings.MQTT_PRESENCE_TTL_MS ?? 15_000;
  const maxSessionExpiry = settings.MQTT_MAX_SESSION_EXPIRY ?? 7 * 24 * 3600;
  const buckets = await context.bus.ensureBuckets([
    { name: DEVICE_CREDENTIALS_BUCKET, description: 'device credentials (hashed), written by inventory' },
    { name: PRESENCE_BUCKET, description: 'the gateway connection holding each device' },
    { name: REPLICAS_BUCKET, description: 'gateway replica heartbeats', ttlMs: presenceTtlMs },
    { name: RETAINED_BUCKET, description: 'retained messages by topic (desired state written by services)' },
    { name: APPLICATION_CREDENTIALS_BUCKET, description: 'application credentials (hashed) and topic rules' },
    { name: APP_RETAINED_BUCKET, description: 'retained messages of applications, by tenant and topic', maxValueSize: settings.MQTT_MAX_PACKET_SIZE + 4096 },
    // A session not resumed within its expiry is gone; entries a day past the longest expiry are removed.
    { name: SESSIONS_BUCKET, description: 'persistent MQTT sessions', ttlMs: (maxSessionExpiry + 24 * 3600) * 1000 },
  ]);
  // Applications' messages between replicas, kept a while for persistent sessions that are away.
  await context.bus.ensureStreams(
    [],
    [
      {
        name: appStreamName(context.bus),
        subjects: [context.bus.names.subject(`${APP_SUBJECT_ROOT}.>`)],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_age: (settings.MQTT_APP_RETENTION_SECONDS ?? 24 * 3600) * 1_000_000_000,
        max_bytes: settings.MQTT_APP_MAX_BYTES ?? 1024 ** 3,
        num_replicas: context.bus.connection.options.replicas,
        allow_direct: true,
      },
    ],
  );
  const retained = await kvRetainedStore(buckets.get(RETAINED_BUCKET)!, logger);
  const appRetained = await kvRetainedStore(buckets.get(APP_RETAINED_BUCKET)!, logger);
  const store = await kvCredentialStore(buckets.get(DEVICE_CREDENTIALS_BUCKET)!, logger);
  const applicationStore = await kvCredentialStore(buckets.get(APPLICATION_CREDENTIALS_BUCKET)!, logger, ApplicationCredential);
  const authenticators: Authenticator[] = [];
  if (settings.GATEWAY_DEV_CREDENTIALS) {
    const at = settings.GATEWAY_DEV_CREDENTIALS.indexOf(':');
    authenticators.push(devCredentialsAuthenticator(settings.GATEWAY_DEV_CREDENTIALS.slice(0, at), settings.GATEWAY_DEV_CREDENTIALS.slice(at + 1)));
  }
  authenticators.push(kvAuthenticator(store, applicationStore));
  const metrics = gatewayMetrics(context.metrics);
  const commandSettings = { gatewayId: settings.GATEWAY_ID, ackWaitMs: settings.MQTT_COMMAND_ACK_WAIT_MS ?? 300_000, retryUnsubscribedMs: 5_000, inactiveMs: 3_600_000 };
  // Presence and quotas need the hub, which needs them: bound once the hub exists.
  const late: { hub?: ConnectionHub; sandbox?: ConnectionHub } = {};
  const presence = await busPresence({
    bus: context.bus,
    gatewayId: settings.GATEWAY_ID,
    logger,
    buckets: { presence: buckets.get(PRESENCE_BUCKET)!, replicas: buckets.get(REPLICAS_BUCKET)! },
    ttlMs: presenceTtlMs,
    deviceConnection: (tenant, deviceId) => late.hub?.ofDevice(tenant, deviceId),
  });
  const hubDeps = {
    gatewayId: settings.GATEWAY_ID,
    authenticator: firstOf(...authenticators),
    throttle: loginThrottle({
      maxFailures: settings.MQTT_AUTH_MAX_FAILURES ?? 10,
      windowMs: settings.MQTT_AUTH_WINDOW_MS ?? 60_000,
      lockoutMs: settings.MQTT_AUTH_LOCKOUT_MS ?? 60_000,
      maxLockoutMs: 3_600_000,
    }),
    clientIds: new ClientIds(),
    routerFor: routerFor({ bus: context.bus, holder: (tenant, deviceId) => presence.holder(tenant, deviceId) }, applicationRouter(context.bus, buckets.get(APP_RETAINED_BUCKET)!)),
    bus: context.bus,
    presence,
    logger,
    metrics,
    limits: {
      maxPacketSize: settings.MQTT_MAX_PACKET_SIZE,
      connectTimeoutMs: settings.MQTT_CONNECT_TIMEOUT_MS,
      maxKeepAliveSeconds: settings.MQTT_MAX_KEEPALIVE,
      receiveMaximum: settings.MQTT_RECEIVE_MAXIMUM,
      topicAliasMaximum: settings.MQTT_TOPIC_ALIAS_MAXIMUM ?? 32,
      maxSubscriptions: settings.MQTT_MAX_SUBSCRIPTIONS ?? 100,
      maxPendingPerAddress: settings.MQTT_MAX_PENDING_PER_ADDRESS ?? 1_000,
    },
    quotas: new GatewayLimits(
      {
        deviceMessageRate: settings.MQTT_DEVICE_MESSAGE_RATE ?? '200:1,6000:60',
        tenantMessageRate: settings.MQTT_TENANT_MESSAGE_RATE ?? '',
        maxConnections: settings.MQTT_MAX_CONNECTIONS ?? 0,
        connectionRate: settings.MQTT_CONNECTION_RATE ?? '',
        connectionRatePerAddress: settings.MQTT_CONNECTION_RATE_PER_ADDRESS ?? '',
        reconnectRate: settings.MQTT_RECONNECT_RATE ?? '30:60',
      },
      context.bus,
      settings.GATEWAY_ID,
      metrics,
      () => (late.hub?.connections.size ?? 0) + (late.sandbox?.connections.size ?? 0),
    ),
    retained,
    appRetained,
    sessions: { store: new SessionStore(buckets.get(SESSIONS_BUCKET)!), maxExpirySeconds: maxSessionExpiry },
    commands: commandSettings,
    deliverCommands: (connection: MqttConnection) => new CommandDelivery(connection, context.bus, commandSettings, logger),
    applicationFeed: (connection: MqttConnection) => new ApplicationFeed(connection, context.bus),
  };
  const hub = createConnectionHub(hubDeps);
  late.hub = hub;
  const listeners = await startListeners(hub, settings, metrics, logger);
  // The development sandbox: its own hub, whose anonymous clients are applications of the sandbox tenant.
  const sandbox =
    settings.MQTT_SANDBOX_PORT === undefined
      ? undefined
      : await startSandbox(createConnectionHub({ ...hubDeps, authenticator: sandboxAuthenticator(settings.MQTT_SANDBOX_TENANT ?? 'sandbox', hubDeps.authenticator) }), settings.MQTT_SANDBOX_PORT).catch(async (error: unknown) => {
          await Promise.all(Object.values(listeners).map((listener) => listener.close()));
          throw error;
        });
  late.sandbox = sandbox?.hub;
  if (sandbox) logger.warn({ port: sandbox.listener.address.port, tenant: settings.MQTT_SANDBOX_TENANT ?? 'sandbox' }, 'sandbox listener on 127.0.0.1 admits clients without credentials (development only)');
  retained.onChange((_topic, message) => message && forwardRetainedChange(hub.connections, message));
  // A credential changed in KV (revoked, rotated, deleted): its connections must authenticate again.
  const credentialsChanged = (key: string) => {
    for (const connection of [...hub.connections, ...(sandbox?.hub.connections ?? [])]) {
      if (connection.identity?.credentialKey === key) connection.close('credentials-revoked', ReasonCode.administrativeAction, 'credentials changed');
    }
  };
  store.onChange(credentialsChanged);
  // An application's rules or secret changed: it connects again under the new ones.
  applicationStore.onChange(credentialsChanged);
  let stopped = false;
  return {
    name: 'mqtt-gateway',
    hub,
    port: listeners.tcp.address.port,
    ports: { ...Object.fromEntries(Object.entries(listeners).map(([kind, listener]) => [kind, listener.address.port])), ...(sandbox ? { sandbox: sandbox.listener.address.port } : {}) },
    endpoints: [
      ...Object.entries(listeners).map(([kind, listener]) => `${SCHEMES[kind as keyof typeof SCHEMES]}://${settings.MQTT_HOST}:${listener.address.port}${kind.startsWith('ws') ? (settings.MQTT_WS_PATH ?? '/mqtt') : ''}`),
      ...(sandbox ? [`mqtt://127.0.0.1:${sandbox.listener.address.port} (sandbox, no credentials)`] : []),
    ],
    ready: () => !stopped && !context.bus.connection.nc.isClosed(),
    async stop() {
      stopped = true;
      store.stop();
      applicationStore.stop();
      retained.stop();
      appRetained.stop();
      // Stop accepting first; a server's close completes only once every connection has ended.
      const closed = Promise.all([...Object.values(listeners), ...(sandbox ? [sandbox.listener] : [])].map((listener) => listener.close()));
      await Promise.all([hub.closeAll(), sandbox?.hub.closeAll()]);
      await closed;
      await presence.settled();
      await presence.stop();
    },
  };
}
