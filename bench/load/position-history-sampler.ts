import { sql, type Kysely } from 'kysely';
import { summarise } from './percentiles.js';
import { sleep, type LatencySummary } from './stats.js';

/** A `position_history` row as the sampler reads it. */
export interface SampledRow {
  seq: number;
  device_id: string;
  /** `reported_at` (the agent's `datetime`) in Unix seconds. */
  reported_s: number;
  /** `received_at` (the event's `occurredAt`, set by the gateway) in Unix milliseconds. */
  received_ms: number;
}

/** Options of {@link PositionHistorySampler}. */
export interface SamplerOptions {
  /** A pool on the geolocation service's schema (search_path). */
  db: Kysely<unknown>;
  /** Pause between the start of two polls. */
  pollMs: number;
  /** The run's clock (ms). A row's visibility time is the start of the poll that returned it. */
  clock(): number;
  /** Each new row, with that time. */
  onRow(row: SampledRow, seenAtMs: number): void;
  /** Rows read at most per poll (a backlog is read over several polls, without pause). */
  limit?: number;
}

/**
 * Polls `position_history` for rows with `seq` above the last one seen (one primary-key range scan per
 * poll). The projection commits in stream order, one transaction per batch, so no row with a smaller seq
 * can become visible later. A row was committed after the snapshot of the poll before the one that
 * returned it and before the snapshot of that one; the latter's start time is used, so the figure errs
 * late by at most one poll interval plus one query.
 */
export class PositionHistorySampler {
  lastSeq = 0;
  rows = 0;
  polls = 0;
  /** Polls that failed (the first failure is printed). */
  failures = 0;
  private readonly queryMs: number[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SamplerOptions) {}

  start(): void {
    this.running = true;
    this.loop = this.poll();
  }

  /** Stops after the poll in progress, then polls once more so nothing committed before is missed. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    while ((await this.pollOnce()) === this.limit) {
      // read the rest of a backlog
    }
  }

  /** Duration of the poll queries. */
  queryLatency(): LatencySummary {
    return summarise(this.queryMs);
  }

  private get limit(): number {
    return this.options.limit ?? 20_000;
  }

  private async poll(): Promise<void> {
    while (this.running) {
      const began = this.options.clock();
      const count = await this.pollOnce().catch((error: unknown) => {
        if (this.failures++ === 0) console.error(`position_history poll failed: ${(error as Error).message}`);
        return 0;
      });
      if (count === this.limit) continue;
      await sleep(Math.max(0, this.options.pollMs - (this.options.clock() - began)));
    }
  }

  private async pollOnce(): Promise<number> {
    const seenAt = this.options.clock();
    const { rows } = await sql<SampledRow>`
      SELECT seq, device_id, extract(epoch FROM reported_at)::float8 AS reported_s, (extract(epoch FROM received_at) * 1000)::float8 AS received_ms
      FROM position_history WHERE seq > ${this.lastSeq} ORDER BY seq LIMIT ${this.limit}`.execute(this.options.db);
    this.queryMs.push(this.options.clock() - seenAt);
    this.polls++;
    for (const row of rows) {
      this.options.onRow(row, seenAt);
      if (row.seq > this.lastSeq) this.lastSeq = row.seq;
    }
    this.rows += rows.length;
    return rows.length;
  }
}
