import type { Bus } from '@flotilla/bus';
import { DeviceConnected, DeviceDisconnected, type DisconnectReason } from '@flotilla/contracts';
import type { IConnectPacket } from 'mqtt-packet';
import type { Logger } from 'pino';
import type { MqttConnection } from '../mqtt/connection.js';
import { routeDeviceMessage } from '../mqtt/handlers/publish.handler.js';

type Will = NonNullable<IConnectPacket['will']>;

/** Records connections and disconnections as events and publishes Last Wills. */
export interface Presence {
  connected(connection: MqttConnection): void;
  disconnected(connection: MqttConnection, reason: DisconnectReason, will: Will | undefined): void;
  /** Resolves when every event started so far is stored (or has failed). */
  settled(): Promise<void>;
}

/** Presence on the bus: `DeviceConnected` / `DeviceDisconnected` in the DEVICES stream. */
export function busPresence(bus: Bus, gatewayId: string, logger: Logger): Presence {
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>, what: string) => {
    const tracked = work.catch((error: unknown) => logger.error({ err: error }, `could not record ${what}`)).finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  return {
    connected(connection) {
      const { tenant, deviceId, dialect } = connection.identity!;
      track(
        bus.publish(DeviceConnected, {
          tenant,
          subjectId: deviceId,
          id: `${gatewayId}:${connection.id}:connected`,
          data: { deviceId, dialect, clientId: connection.clientId, protocolLevel: connection.protocolVersion, gatewayId, remoteAddress: connection.socket.remoteAddress ?? null, connectedAt: new Date() },
        }),
        'DeviceConnected',
      );
    },
    disconnected(connection, reason, will) {
      const { tenant, deviceId, dialect } = connection.identity!;
      track(
        bus.publish(DeviceDisconnected, {
          tenant,
          subjectId: deviceId,
          id: `${gatewayId}:${connection.id}:disconnected`,
          data: { deviceId, dialect, clientId: connection.clientId, gatewayId, reason, disconnectedAt: new Date() },
        }),
        'DeviceDisconnected',
      );
      if (will) {
        // The will goes through the same rules as a live publish; it was also checked at CONNECT.
        const payload = Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload);
        track(routeDeviceMessage(connection, { topic: will.topic, payload, qos: will.qos ?? 0, retain: will.retain ?? false }), 'Last Will');
      }
    },
    async settled() {
      await Promise.all([...pending]);
    },
  };
}
