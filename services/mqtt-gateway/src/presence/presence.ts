import type { Bus } from '@flotilla/bus';
import { DeviceConnected, DeviceDisconnected, Dialect, type DisconnectReason } from '@flotilla/contracts';
import type { IConnectPacket } from 'mqtt-packet';
import type { Logger } from 'pino';
import type { MqttConnection } from '../mqtt/connection.js';
import { forwardedProperties } from '../applications/app-message.js';
import { routeDeviceMessage } from '../mqtt/handlers/publish.handler.js';
import { ReasonCode } from '../mqtt/reason-codes.js';
import { presenceRegistry, type PresenceEntry } from './presence-registry.js';

type Will = NonNullable<IConnectPacket['will']>;

/**
 * What a connection holds in the presence registry: its device, or for an application its client id
 * (an application may run several connections under different client ids).
 */
export function holderId(connection: MqttConnection): string {
  return connection.identity!.application ? `\u0000application\u0000${connection.clientId}` : connection.identity!.deviceId;
}

/** Records connections and disconnections as events and in KV, and publishes Last Wills. */
export interface Presence {
  connected(connection: MqttConnection): void;
  disconnected(connection: MqttConnection, reason: DisconnectReason, will: Will | undefined): void;
  /** Resolves when every event started so far is stored (or has failed). */
  settled(): Promise<void>;
  /** The connection that holds a device now, as far as this replica knows (any replica's). */
  holder(tenant: string, deviceId: string): string | undefined;
  stop(): Promise<void>;
}

/** Options of {@link busPresence}. */
export interface PresenceOptions {
  bus: Bus;
  gatewayId: string;
  logger: Logger;
  /** The `presence` and `gateway-replicas` buckets. */
  buckets: { presence: Parameters<typeof presenceRegistry>[0]['presence']; replicas: Parameters<typeof presenceRegistry>[0]['replicas'] };
  ttlMs: number;
  /** The connection holding a device on this replica, to close when the device moved elsewhere. */
  deviceConnection: (tenant: string, deviceId: string) => MqttConnection | undefined;
}

/**
 * Presence on the bus (`DeviceConnected` / `DeviceDisconnected` in the DEVICES stream) and in KV. A device
 * that connects to another replica takes its session over from this one (MQTT 5: 0x8E); the devices of
 * a replica that died without closing them are reported `presence-expired` by the survivors.
 */
export async function busPresence(options: PresenceOptions): Promise<Presence> {
  const { bus, gatewayId, logger } = options;
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>, what: string) => {
    const tracked = work.catch((error: unknown) => logger.error({ err: error }, `could not record ${what}`)).finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const disconnectedEvent = (entry: Pick<PresenceEntry, 'tenant' | 'deviceId' | 'dialect' | 'clientId' | 'gatewayId' | 'connectionId'>, reason: DisconnectReason) =>
    bus.publish(DeviceDisconnected, {
      tenant: entry.tenant,
      subjectId: entry.deviceId,
      // The same id whoever records it (the replica itself or a survivor): stored once.
      id: `${entry.gatewayId}:${entry.connectionId}:disconnected`,
      data: { deviceId: entry.deviceId, dialect: Dialect.parse(entry.dialect), clientId: entry.clientId, gatewayId: entry.gatewayId, reason, disconnectedAt: new Date() },
    });
  // MQTT 5 will delay: wills waiting to be published, cancelled when their device connects again.
  const pendingWills = new Map<string, { timer: NodeJS.Timeout; publish: () => void }>();
  const deviceKey = (tenant: string, deviceId: string) => `${tenant}\u0000${deviceId}`;
  const cancelWill = (tenant: string, deviceId: string) => {
    const key = deviceKey(tenant, deviceId);
    clearTimeout(pendingWills.get(key)?.timer);
    pendingWills.delete(key);
  };
  const registry = await presenceRegistry({
    presence: options.buckets.presence,
    replicas: options.buckets.replicas,
    gatewayId,
    ttlMs: options.ttlMs,
    logger,
    events: {
      claimed(entry, revision) {
        cancelWill(entry.tenant, entry.deviceId);
        const holder = options.deviceConnection(entry.tenant, entry.deviceId);
        // The same client id of another application is not this application's session.
        if (entry.applicationId !== undefined && holder?.identity?.deviceId !== entry.applicationId) return;
        // Only a claim written after the holder's own one takes over: KV revisions order them, not arrival.
        if (holder && holder.state === 'connected' && holder.id !== entry.connectionId && holder.presenceRevision !== undefined && revision > holder.presenceRevision) {
          holder.close('session-taken-over', ReasonCode.sessionTakenOver, `device connected through ${entry.gatewayId}`);
        }
      },
      expired(entry) {
        if (entry.applicationId !== undefined) return;
        logger.info({ deviceId: entry.deviceId, deadGateway: entry.gatewayId }, 'device of a vanished replica reported offline');
        track(disconnectedEvent(entry, 'presence-expired'), 'DeviceDisconnected');
      },
    },
  });
  return {
    connected(connection) {
      const { tenant, deviceId, dialect, application } = connection.identity!;
      if (application) {
        // Applications are not devices: no presence events, only the claim of their client id.
        cancelWill(tenant, holderId(connection));
        track(
          registry.connected({ tenant, deviceId: holderId(connection), applicationId: deviceId, dialect: 'application', clientId: connection.clientId, gatewayId, connectionId: connection.id, connectedAt: new Date().toISOString() }).then((revision) => {
            connection.presenceRevision = revision;
          }),
          'application presence',
        );
        return;
      }
      cancelWill(tenant, deviceId);
      const connectedAt = new Date();
      track(
        bus.publish(DeviceConnected, {
          tenant,
          subjectId: deviceId,
          id: `${gatewayId}:${connection.id}:connected`,
          data: { deviceId, dialect, clientId: connection.clientId, protocolLevel: connection.protocolVersion, gatewayId, remoteAddress: connection.socket.remoteAddress ?? null, connectedAt },
        }),
        'DeviceConnected',
      );
      track(
        registry.connected({ tenant, deviceId, dialect, clientId: connection.clientId, gatewayId, connectionId: connection.id, connectedAt: connectedAt.toISOString() }).then((revision) => {
          connection.presenceRevision = revision;
        }),
        'presence',
      );
    },
    disconnected(connection, reason, will) {
      const { tenant, deviceId, dialect, application } = connection.identity!;
      if (!application) track(disconnectedEvent({ tenant, deviceId, dialect, clientId: connection.clientId, gatewayId, connectionId: connection.id }, reason), 'DeviceDisconnected');
      track(registry.disconnected(tenant, holderId(connection), connection.id), 'presence');
      if (will) {
        // The will goes through the same rules as a live publish; it was also checked at CONNECT.
        const payload = Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload);
        const message = {
          topic: will.topic,
          payload,
          qos: will.qos ?? 0,
          retain: will.retain ?? false,
          clientId: connection.clientId,
          properties: forwardedProperties(will.properties),
          connectionId: connection.id,
          connectedAt: connection.connectedAt,
          lastWill: true,
        };
        const publish = () => track(routeDeviceMessage(connection, message), 'Last Will');
        // Published after the will delay or when the session ends, whichever comes first [MQTT-3.1.3-9].
        const delaySeconds = Math.min(will.properties?.willDelayInterval ?? 0, connection.session?.expirySeconds ?? 0);
        if (delaySeconds <= 0) publish();
        else {
          const owner = holderId(connection);
          const key = deviceKey(tenant, owner);
          cancelWill(tenant, owner);
          const timer = setTimeout(() => {
            pendingWills.delete(key);
            publish();
          }, delaySeconds * 1000);
          pendingWills.set(key, { timer, publish });
        }
      }
    },
    async settled() {
      await Promise.all([...pending]);
    },
    holder: (tenant, deviceId) => registry.holder(tenant, deviceId),
    async stop() {
      // This replica is going away: its delayed wills are published now rather than never.
      for (const { timer, publish } of pendingWills.values()) {
        clearTimeout(timer);
        publish();
      }
      pendingWills.clear();
      await Promise.all([...pending]);
      await registry.stop();
    },
  };
}
