import type { BrokerResult } from './run-broker.js';

/** One figure of the summary: the value per broker, the gateway's ratios to the peers, its target. */
export interface SummaryRow {
  figure: string;
  unit: string;
  values: Record<string, number | null>;
  /** gateway ÷ peer, per peer. */
  ratios: Record<string, number | null>;
  target: string | null;
  /** Whether the gateway meets the target (null: no target or no figure). */
  met: boolean | null;
  note?: string;
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null => (a === null || a === undefined || b === null || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100);

/** The figures the issue asks for, from the results of each broker. */
export function summarise(results: Record<string, BrokerResult | { error: string }>): SummaryRow[] {
  const ok = Object.fromEntries(Object.entries(results).filter((entry): entry is [string, BrokerResult] => !('error' in entry[1])));
  const gateway = ok.gateway;
  const row = (figure: string, unit: string, pick: (result: BrokerResult) => number | null | undefined, target: string | null, meets: ((value: number, values: Record<string, number | null>) => boolean) | null, note?: string): SummaryRow => {
    const values: Record<string, number | null> = {};
    for (const [key, result] of Object.entries(ok)) values[key] = pick(result) ?? null;
    const ratios: Record<string, number | null> = {};
    for (const key of Object.keys(values)) if (key !== 'gateway') ratios[key] = ratio(values.gateway, values[key]);
    const value = values.gateway;
    return { figure, unit, values, ratios, target, met: meets && value !== null && value !== undefined ? meets(value, values) : null, ...(note ? { note } : {}) };
  };
  const capturedNats = ok['nats-mqtt']?.ingestMaxCaptured?.ackRate ?? null;
  return [
    row('memory per idle authenticated connection', 'KiB', (r) => r.connections.perConnectionKiB, '≤ 12 KiB', (v) => v <= 12, gateway && gateway.connections.opened < gateway.connections.requested ? `only ${gateway.connections.opened} connections opened` : undefined),
    row('  of which V8 heap in use', 'KiB', (r) => r.connections.heapUsedPerConnectionKiB, null, null, 'gateway only; includes garbage not yet collected'),
    row('memory per connection, RSS after a full GC', 'KiB', (r) => r.connections.perConnectionAfterGcKiB ?? r.connections.perConnectionKiB, '≤ 12 KiB', (v) => v <= 12, 'gateway: both readings after a forced full GC; peers (no GC to force): same as above'),
    row('  of which live V8 heap', 'KiB', (r) => r.connections.liveHeapPerConnectionKiB, null, null, 'gateway only'),
    row('connections held', 'count', (r) => r.connections.opened, null, null),
    row('authenticated connection rate', 'CONNACK/s', (r) => r.connections.ratePerSecond, '≥ 3000/s', (v) => v >= 3_000),
    row('connect latency p99', 'ms', (r) => r.connections.connectLatency.p99, null, null),
    row('server CPU while connecting', '% core', (r) => r.connections.serverCpuPercent, null, null),
    row('QoS 1 ingest, closed loop', 'msg/s', (r) => r.ingestMax.ackRate, '≥ 0.5 × nats-server MQTT', (v, values) => values['nats-mqtt'] !== null && values['nats-mqtt'] !== undefined && v >= 0.5 * values['nats-mqtt']),
    {
      figure: 'QoS 1 ingest, nats-server capturing to a stream',
      unit: 'msg/s',
      values: { 'nats-mqtt': capturedNats },
      ratios: { 'nats-mqtt': ratio(gateway?.ingestMax.ackRate, capturedNats) },
      target: '≥ 0.5 × (stored as well)',
      met: gateway && capturedNats !== null ? gateway.ingestMax.ackRate >= 0.5 * capturedNats : null,
    },
    row('QoS 1 ingest, closed loop, PUBACK p99', 'ms', (r) => r.ingestMax.latency.p99, null, null),
    row('server CPU at closed-loop ingest', '% core', (r) => r.ingestMax.serverCpuPercent, null, null),
    row('NATS CPU at closed-loop ingest', '% core', (r) => r.ingestMax.helperCpuPercent, null, null, 'gateway only: the NATS server storing its events'),
    row(`PUBACK p50 at offered rate`, 'ms', (r) => r.ingestAtRate.latency.p50, null, null),
    row(`PUBACK p99 at offered rate`, 'ms', (r) => r.ingestAtRate.latency.p99, '≤ 10 ms', (v) => v <= 10),
    row(`PUBACK max at offered rate`, 'ms', (r) => r.ingestAtRate.latency.max, null, null),
    row('achieved PUBACK rate at offered rate', 'msg/s', (r) => r.ingestAtRate.ackRate, null, null),
    row('command issue → device p50', 'ms', (r) => r.commands?.latency.p50, null, null, 'gateway only: the peers have no platform command path'),
    row('command issue → device p99', 'ms', (r) => r.commands?.latency.p99, '≤ 20 ms', (v) => v <= 20, 'gateway only'),
    row('command issue → device max', 'ms', (r) => r.commands?.latency.max, null, null, 'gateway only'),
    row('command issue → device p99, no other load', 'ms', (r) => r.commandsIdle?.latency.p99, null, null, 'gateway only'),
  ];
}

const cell = (value: number | null | undefined) => (value === null || value === undefined ? '—' : String(value));

/** The summary as a fixed-width text table. */
export function formatSummary(rows: SummaryRow[], brokers: string[]): string {
  const peers = brokers.filter((broker) => broker !== 'gateway');
  const header = ['figure', 'unit', ...brokers, ...peers.map((peer) => `gw/${peer}`), 'target', 'met'];
  const lines = rows.map((row) => [row.figure, row.unit, ...brokers.map((b) => cell(row.values[b])), ...peers.map((p) => cell(row.ratios[p])), row.target ?? '', row.met === null ? '' : row.met ? 'yes' : 'NO']);
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...lines.map((line) => line[i]!.length)));
  const format = (line: string[]) => line.map((text, i) => (i < 2 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}
