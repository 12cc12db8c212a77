import { existsSync, readFileSync, readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { JobRecord } from '../../daemon/scheduler/job-queue.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';

/**
 * Building blocks for fault-injection runs against real daemons and brokers: a subscriber
 * that counts every delivery per transcript id (so losses and duplicates are both seen), a
 * reader of the job queue's directories, and percentiles for recovery times.
 */

/** A QoS 1 subscriber with a persistent session that tallies deliveries by transcript id. */
export class TranscriptTally {
  private client: MqttClient | null = null;
  /** Deliveries per transcript id; more than one is a duplicate (allowed by at-least-once). */
  readonly deliveries = new Map<string, number>();
  /** When each id first arrived (ms since the epoch), for delivery latency. */
  readonly firstSeen = new Map<string, number>();
  readonly payloads = new Map<string, TranscriptPayload>();

  constructor(
    private readonly url: string,
    private readonly topic: string,
    private readonly clientId: string,
  ) {}

  /**
   * Connects with clean: false, so a broker that keeps sessions (Mosquitto) queues what is
   * published while we are away; reconnects on its own every 100 ms.
   */
  async start(): Promise<void> {
    const client = mqtt.connect(this.url, { clientId: this.clientId, clean: false, reconnectPeriod: 100, connectTimeout: 2000 });
    this.client = client;
    // Refused connects while the broker is down are expected; the client keeps retrying.
    client.on('error', () => undefined);
    client.on('message', (_topic, payload) => {
      const tr = JSON.parse(payload.toString()) as TranscriptPayload;
      this.deliveries.set(tr.id, (this.deliveries.get(tr.id) ?? 0) + 1);
      if (!this.firstSeen.has(tr.id)) this.firstSeen.set(tr.id, Date.now());
      this.payloads.set(tr.id, tr);
    });
    // Subscribe at every connect: a broker that lost our session (an embedded one that
    // restarted) must learn the subscription again.
    client.on('connect', () => void client.subscribeAsync(this.topic, { qos: 1 }).catch(() => undefined));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await client.subscribeAsync(this.topic, { qos: 1 });
  }

  get unique(): number {
    return this.deliveries.size;
  }

  /** Deliveries beyond the first, summed over ids. */
  get duplicates(): number {
    let n = 0;
    for (const count of this.deliveries.values()) n += count - 1;
    return n;
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = null;
  }
}

export interface QueueSnapshot {
  pending: JobRecord[];
  done: string[];
  failed: Array<{ id: string; error: string }>;
}

/** The durable job queue as it is on disk under `<dataDir>/queue` (works while the daemon is down). */
export function readQueue(dataDir: string): QueueSnapshot {
  const dir = (kind: string) => join(dataDir, 'queue', kind);
  const ids = (kind: string) => (existsSync(dir(kind)) ? readdirSync(dir(kind)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : []);
  const read = <T>(kind: string, id: string): T | undefined => {
    try {
      return JSON.parse(readFileSync(join(dir(kind), `${id}.json`), 'utf8')) as T;
    } catch {
      return undefined; // removed between listing and reading
    }
  };
  return {
    pending: ids('pending').map((id) => read<JobRecord>('pending', id)).filter((j): j is JobRecord => j !== undefined),
    done: ids('done'),
    failed: ids('failed').map((id) => ({ id, error: read<{ error: string }>('failed', id)?.error ?? '' })),
  };
}

/**
 * Puts a recording into a spool folder the way a careful recorder does (write NAME.part,
 * then rename), with a given mtime so the spool's oldest-first order is known.
 */
export function dropRecording(spool: string, name: string, bytes: Buffer, mtimeSec: number): void {
  const part = join(spool, `${name}.part`);
  writeFileSync(part, bytes);
  utimesSync(part, mtimeSec, mtimeSec);
  renameSync(part, join(spool, name));
}

/** Files still waiting in a spool folder (not yet moved to done/ or failed/). */
export function spoolWaiting(spool: string): string[] {
  return readdirSync(spool, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.part'))
    .map((e) => e.name);
}

/** The p-th percentile (0–100) by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Least-squares slope of y over x (units of y per unit of x); 0 for fewer than two points. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
