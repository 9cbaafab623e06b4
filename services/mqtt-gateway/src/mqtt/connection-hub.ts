import type { Duplex } from 'node:stream';
import { holderId } from '../presence/presence.js';
import { MqttConnection, type ConnectionDeps } from './connection.js';
import { ReasonCode } from './reason-codes.js';

/** A byte stream carrying MQTT, whatever the transport (TCP, TLS, WebSocket). */
export type MqttStream = Duplex & { remoteAddress?: string | undefined };

/** The open connections of every listener of a gateway. */
export interface ConnectionHub {
  readonly connections: ReadonlySet<MqttConnection>;
  /** The connected connection of a device (or an application's client id, see `holderId`) on this replica. */
  ofDevice(tenant: string, deviceId: string): MqttConnection | undefined;
  /** Records that `connection` now holds its device (after CONNACK). */
  connected(connection: MqttConnection): void;
  /** Serves MQTT on a newly accepted stream; undefined when its address has too many unfinished connects. */
  accept(stream: MqttStream): MqttConnection | undefined;
  /** Waits for in-flight acks, then sends MQTT 5 clients DISCONNECT 0x8B and closes every connection. */
  closeAll(): Promise<void>;
}

/** Creates the hub that listeners hand their accepted streams to. */
export function createConnectionHub(deps: Omit<ConnectionDeps, 'onClose' | 'registerDevice'>): ConnectionHub {
  const connections = new Set<MqttConnection>();
  const devices = new Map<string, MqttConnection>();
  const pending = new Map<string, number>();
  const deviceKey = (tenant: string, deviceId: string) => `${tenant}\u0000${deviceId}`;
  const hub: ConnectionHub = {
    connections,
    ofDevice: (tenant, deviceId) => devices.get(deviceKey(tenant, deviceId)),
    connected(connection) {
      devices.set(deviceKey(connection.identity!.tenant, holderId(connection)), connection);
    },
    accept(stream) {
      // Slow or idle sockets that never finish CONNECT are capped per source address (hardening §1.12).
      const address = stream.remoteAddress ?? 'unknown';
      const waiting = pending.get(address) ?? 0;
      if (waiting >= deps.limits.maxPendingPerAddress) {
        deps.metrics.rejections.inc({ reason: 'pending-per-address' });
        stream.destroy();
        return undefined;
      }
      pending.set(address, waiting + 1);
      let counted = true;
      const settle = () => {
        if (!counted) return;
        counted = false;
        const left = (pending.get(address) ?? 1) - 1;
        if (left > 0) pending.set(address, left);
        else pending.delete(address);
      };
      const connection = new MqttConnection(stream, {
        ...deps,
        registerDevice: (held) => {
          settle();
          hub.connected(held);
        },
        onClose: (closed) => {
          settle();
          connections.delete(closed);
          const key = closed.identity && deviceKey(closed.identity.tenant, holderId(closed));
          if (key && devices.get(key) === closed) devices.delete(key);
        },
      });
      connections.add(connection);
      return connection;
    },
    async closeAll() {
      const open = [...connections];
      // Finish acks for what was already stored before telling clients to go.
      await Promise.race([Promise.all(open.map((connection) => connection.ackChain)), new Promise((resolve) => setTimeout(resolve, 5_000))]);
      for (const connection of open) connection.close('server-shutdown', ReasonCode.serverShuttingDown, 'server shutting down');
    },
  };
  return hub;
}
