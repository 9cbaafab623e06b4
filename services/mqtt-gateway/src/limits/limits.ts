import type { Bus } from '@flotilla/bus';
import { DeviceLimitExceeded, type DeviceLimit } from '@flotilla/contracts';
import type { z } from 'zod';
import type { GatewayMetrics } from '../metrics.js';
import type { MqttConnection } from '../mqtt/connection.js';
import { ReasonCode } from '../mqtt/reason-codes.js';
import { KeyedRateLimit, parseRateLimit } from './rate-limit.js';

/** Limit settings of a gateway (the `capacity:seconds[,…]` strings of its configuration). */
export interface LimitSettings {
  deviceMessageRate: string;
  tenantMessageRate: string;
  maxConnections: number;
  connectionRate: string;
  connectionRatePerAddress: string;
  /** CONNECTs per client id and per username (flapping detection); empty: none. */
  reconnectRate: string;
}

/** Why a new connection is refused before its CONNECT is looked at. */
export type AdmissionRefusal = 'max-connections' | 'connection-rate';

/**
 * The gateway's limits on connections and on messages. Rates are kept per replica: a platform-wide
 * limit of R with n replicas is configured as R/n.
 */
export class GatewayLimits {
  private readonly deviceRate: KeyedRateLimit;
  private readonly tenantRate: KeyedRateLimit;
  private readonly connectRate: KeyedRateLimit;
  private readonly addressRate: KeyedRateLimit;
  private readonly reconnectRate: KeyedRateLimit;
  private readonly reported = new Map<string, number>();

  constructor(
    private readonly settings: LimitSettings,
    private readonly bus: Bus,
    private readonly gatewayId: string,
    private readonly metrics: GatewayMetrics,
    private readonly openConnections: () => number,
  ) {
    this.deviceRate = new KeyedRateLimit(parseRateLimit(settings.deviceMessageRate));
    this.tenantRate = new KeyedRateLimit(parseRateLimit(settings.tenantMessageRate));
    this.connectRate = new KeyedRateLimit(parseRateLimit(settings.connectionRate));
    this.addressRate = new KeyedRateLimit(parseRateLimit(settings.connectionRatePerAddress));
    this.reconnectRate = new KeyedRateLimit(parseRateLimit(settings.reconnectRate));
  }

  /** Checked when CONNECT arrives, before authentication. */
  admit(remoteAddress: string | undefined): AdmissionRefusal | undefined {
    if (this.settings.maxConnections > 0 && this.openConnections() > this.settings.maxConnections) return 'max-connections';
    if (!this.connectRate.take('*') || !this.addressRate.take(remoteAddress ?? 'unknown')) return 'connection-rate';
    return undefined;
  }

  /**
   * Flapping detection (hardening §3.2): CONNECTs counted per client id and per username independently, so
   * rotating one does not escape the other; checked before authentication.
   */
  admitIdentity(clientId: string, username: string | undefined): boolean {
    const byClient = this.reconnectRate.take(`c\u0000${clientId}`);
    const byUser = username === undefined || this.reconnectRate.take(`u\u0000${username}`);
    return byClient && byUser;
  }

  /** Takes one message from the device's and its tenant's allowance; the limit hit, if any. */
  takeMessage(tenant: string, deviceId: string): DeviceLimit | undefined {
    if (!this.deviceRate.take(`${tenant}\u0000${deviceId}`)) return 'device-message-rate';
    if (!this.tenantRate.take(tenant)) return 'tenant-message-rate';
    return undefined;
  }

  /** Counts a device's limit hit and records it as an event, at most once a minute per device and limit. */
  exceeded(connection: MqttConnection, limit: DeviceLimit, detail: string): void {
    this.metrics.rejections.inc({ reason: limit });
    const { tenant, deviceId } = connection.identity!;
    const key = `${tenant}\u0000${deviceId}\u0000${limit}`;
    const now = Date.now();
    if ((this.reported.get(key) ?? 0) > now - 60_000) return;
    if (this.reported.size > 100_000) this.reported.clear();
    this.reported.set(key, now);
    this.bus
      .publish(DeviceLimitExceeded, { tenant, subjectId: deviceId, data: { deviceId, gatewayId: this.gatewayId, limit, detail, exceededAt: new Date(now) } })
      .catch((error: unknown) => connection.logger.warn({ err: error }, 'could not record a limit hit'));
  }
}

/** CONNACK codes for a refused admission: MQTT 5 says which quota; MQTT 3 only has "server unavailable". */
export const ADMISSION_CODES: Record<AdmissionRefusal, { v5: number; v3: number }> = {
  'max-connections': { v5: ReasonCode.quotaExceeded, v3: 3 },
  'connection-rate': { v5: ReasonCode.connectionRateExceeded, v3: 3 },
};

/** Parses a rate-limit setting at configuration time, so a typo stops the start with a clear message. */
export function rateLimitSetting(schema: z.ZodString) {
  return schema.refine((value) => {
    try {
      parseRateLimit(value);
      return true;
    } catch {
      return false;
    }
  }, 'expected capacity:seconds[,capacity:seconds…], e.g. 100:1,3000:60 (empty: no limit)');
}
