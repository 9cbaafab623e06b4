import { randomUUID } from 'node:crypto';
import type { Bus } from '@flotilla/bus';
import { DeviceCommandIssued } from '@flotilla/contracts';
import mqtt, { type MqttClient } from 'mqtt';
import { elapsedMs, Latencies, now, sleep, type LatencySummary } from './stats.js';

/** Devices (MQTT.js clients) that receive commands, and the platform side that issues them. */
export interface CommandDevicesOptions {
  host: string;
  port: number;
  bus: Bus;
  tenant: string;
  serials: string[];
  credentials(serial: string): { username: string; password: string };
  /** Pause on each device between receiving a command and issuing the next. */
  intervalMs: number;
  /** A command not received after this is counted lost. */
  timeoutMs: number;
}

/** Figures of a command run. */
export interface CommandResult {
  devices: number;
  issued: number;
  received: number;
  timedOut: number;
  /** `bus.publish(DeviceCommandIssued)` called → rendered PUBLISH received by the device. */
  latency: LatencySummary;
  /** `bus.publish` called → JetStream PubAck (part of the above). */
  publishLatency: LatencySummary;
}

interface Device {
  serial: string;
  client: MqttClient;
  waiter: ((at: bigint) => void) | undefined;
}

/**
 * Connects one MQTT.js client per serial, subscribed at QoS 1 to `<tenant>/agent/<serial>/Command/#`.
 * Each device has one command outstanding at a time, so a received PUBLISH belongs to the last command
 * issued to it (the rendered Flyve command carries no command id).
 */
export async function commandDevices(options: CommandDevicesOptions) {
  const devices: Device[] = await Promise.all(
    options.serials.map(async (serial) => {
      const client = await mqtt.connectAsync(`mqtt://${options.host}:${options.port}`, { ...options.credentials(serial), clientId: serial, protocolVersion: 4, clean: true, reconnectPeriod: 0, keepalive: 60 });
      const device: Device = { serial, client, waiter: undefined };
      client.on('message', () => {
        const at = now();
        device.waiter?.(at);
      });
      await client.subscribeAsync(`${options.tenant}/agent/${serial}/Command/#`, { qos: 1 });
      return device;
    }),
  );

  /** Issues one ping to `device`; resolves with the issue and receive times, or undefined on timeout. */
  const issue = async (device: Device, published: Latencies | undefined): Promise<{ issuedAt: bigint; receivedAt: bigint } | undefined> => {
    const received = new Promise<bigint | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), options.timeoutMs);
      device.waiter = (at) => {
        clearTimeout(timer);
        device.waiter = undefined;
        resolve(at);
      };
    });
    const issuedAt = now();
    const commandId = randomUUID();
    await options.bus.publish(DeviceCommandIssued, { tenant: options.tenant, subjectId: device.serial, data: { commandId, deviceId: device.serial, command: { type: 'ping' }, expiresAt: null, taskId: null } });
    published?.record(issuedAt);
    const receivedAt = await received;
    return receivedAt === undefined ? undefined : { issuedAt, receivedAt };
  };

  return {
    /** One command per device, not measured: the gateway creates each device's consumer at its first. */
    async warmUp(): Promise<number> {
      const results = await Promise.all(devices.map((device) => issue(device, undefined)));
      return results.filter((result) => result !== undefined).length;
    },
    /** Issues commands to every device in turn for `durationMs`. */
    async run(durationMs: number): Promise<CommandResult> {
      const latency = new Latencies();
      const publishLatency = new Latencies();
      let issued = 0;
      let timedOut = 0;
      const start = now();
      await Promise.all(
        devices.map(async (device, index) => {
          await sleep((options.intervalMs * index) / devices.length);
          while (elapsedMs(start) < durationMs) {
            issued++;
            const result = await issue(device, publishLatency);
            if (result) latency.record(result.issuedAt, result.receivedAt);
            else timedOut++;
            await sleep(options.intervalMs);
          }
        }),
      );
      return { devices: devices.length, issued, received: latency.count, timedOut, latency: latency.summary(), publishLatency: publishLatency.summary() };
    },
    async close(): Promise<void> {
      await Promise.all(devices.map((device) => device.client.endAsync().catch(() => undefined)));
    },
  };
}
