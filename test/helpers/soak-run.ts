import { connect, type Socket } from 'node:net';
import { cpSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, waitFor } from './daemon-process.js';
import { fixturesDir, tempDir } from './paths.js';
import { pcmOf } from './malformed-audio.js';
import { TranscriptTally, dropRecording, percentile, readQueue, slope, spoolWaiting } from './faults.js';
import { freePort } from '../../scripts/free-port.js';
import { listThermalSensors, pickSchedulerSensor } from '../../daemon/hardware/thermal.js';

/**
 * A soak run (issue #9): N live sources streaming PCM in real time over unix sockets plus a
 * batch backlog in a spool folder, for a bounded time, against one real earshotd. Samples
 * the daemon's RSS, open file descriptors and threads from /proc and reports their slopes
 * after warm-up (flat means no leak), live transcript latency (end of speech → at the
 * subscriber), and transcripts expected vs delivered per kind. Shared by the long benchmark
 * (`bench/reliability/soak`) and the short CI test (`test/e2e/soak.test.ts`).
 */
export interface SoakOptions {
  minutes: number;
  /** Live socket sources, each fed the recording in a loop at real time. */
  streams: number;
  /** Each live stream hangs up and dials again after this many loops of the recording (0: never). */
  reconnectEveryLoops?: number;
  /** Recordings in the spool before the streams start (after one warm-up recording). */
  backlog: number;
  /** One more recording this often (0: none). */
  dropEveryMs: number;
  sampleMs: number;
  /** Minutes at which the daemon writes a V8 heap snapshot into the run's directory. */
  heapSnapshotsAtMin?: number[];
  /**
   * Heat the box into the thermal soft band and let it cool, each this often (0: never): the
   * daemon runs on a copy of a Jetson Orin's sysfs with `model.threads: 2`, so each change
   * loads the model again with 1 thread or 2 under the live streams and the backlog.
   */
  thermalCycleMs?: number;
  /** Progress lines, once a minute. */
  log?: (line: string) => void;
}

export interface SoakSample {
  /** Seconds since the streams started. */
  t: number;
  rssMb: number;
  fds: number;
  threads: number;
}

/** A sample at rest, with what each open fd points at, so a difference can be named. */
export interface IdleSample extends SoakSample {
  fdTargets: string[];
}

export interface SoakReport {
  options: SoakOptions;
  dir: string;
  soakSec: number;
  drainSec: number;
  live: { expected: number; delivered: number; connections: number };
  batch: { expected: number; delivered: number };
  duplicates: number;
  lost: number;
  /** End of speech (the transcript's endedAt) → first arrival at the subscriber, ms. */
  liveLatencyMs: number[];
  samples: SoakSample[];
  /** The samples after the first fifth of the run: model load and first allocations are not a leak. */
  steady: SoakSample[];
  perHour: { rssMb: number; fds: number; threads: number };
  /**
   * The daemon at rest before any load (sources listening, nothing queued) and again after
   * the streams hung up and the backlog drained: handles held per recording, per
   * connection or per segment show up here as a difference, whatever the run's length.
   */
  idle: { before: IdleSample; after: IdleSample | undefined };
  alive: boolean;
  exit: number | string;
  /** Thermal cycling: temperature changes made, and the model loads the daemon logged for a thread count. */
  thermal?: { changes: number; reloads: number };
}

const RATE = 16000;
/** Two stretches of speech per loop of the recording, so two transcripts. */
const SEGMENTS_PER_LOOP = 2;
/** Time for closed connections and finished jobs to release their handles before an idle sample. */
const IDLE_SETTLE_MS = 2000;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const recording = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const root = tempDir('earshot-soak-');
  const spool = join(root, 'spool');
  mkdirSync(spool);
  const port = await freePort();
  const site = 'soak';
  const snapshotAt = options.heapSnapshotsAtMin ?? [];
  const cycleMs = options.thermalCycleMs ?? 0;
  const orin = join(root, 'orin');
  let setTemp = (_c: number): void => undefined;
  if (cycleMs > 0) {
    cpSync(join(fixturesDir, 'sysfs', 'jetson-orin'), orin, { recursive: true });
    const sensor = pickSchedulerSensor(await listThermalSensors(orin));
    setTemp = (c) => writeFileSync(join(orin, sensor?.path ?? ''), `${c * 1000}\n`);
    setTemp(50);
  }
  const daemon = await startDaemon(
    {
      siteId: site,
      dataDir: join(root, 'data'),
      control: { socket: join(root, 'control.sock') },
      mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
      sources: [
        ...Array.from({ length: options.streams }, (_, i) => ({ id: `live-${i}`, type: 'socket', path: join(root, `live-${i}.sock`), format: { encoding: 's16le', sampleRate: RATE, channels: 1 } })),
        { id: 'batch', type: 'spool', dir: spool, settleMs: 500, pollMs: 500 },
      ],
      vad: { detector: 'energy' },
      model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'], ...(cycleMs > 0 ? { threads: 2 } : {}) },
      // 78 °C is half-way into the 70-85 °C band: one thread of two.
      scheduler: { tickMs: 500, ...(cycleMs > 0 ? { maxThreads: 2, thermal: { sysfsRoot: orin, softC: 70, hardC: 85, hysteresisC: 5 } } : {}) },
    },
    snapshotAt.length ? { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${root}` } : {},
  );
  const pid = daemon.child.pid!;
  const tally = new TranscriptTally(`mqtt://127.0.0.1:${port}`, `earshot/${site}/transcript/#`, 'soak-tally');
  await tally.start();
  log(`earshotd pid ${pid}; ${options.streams} live streams, backlog ${options.backlog}, ${options.minutes} min; run directory ${root}`);
  let recordings = 0;
  const base = Math.floor(Date.now() / 1000) - 3600;
  const drop = () => dropRecording(spool, `rec-${String(recordings).padStart(5, '0')}.wav`, recording, base + recordings++);
  // One recording first, so the model is loaded and the broker connection made: what the
  // daemon opens on first use is not a leak, and the rest sample must include it.
  drop();
  await waitFor(() => tally.unique >= SEGMENTS_PER_LOOP, 60_000, 'the warm-up recording');
  await sleep(IDLE_SETTLE_MS);
  const idleBefore = sampleIdle(pid, 0);
  if (!idleBefore) throw new Error(`earshotd (pid ${pid}) is gone before the soak started:\n${daemon.output()}`);

  for (let i = 0; i < options.backlog; i++) drop();

  const loop = Buffer.concat([pcmOf(recording), Buffer.alloc(RATE * 2 * 1.5)]);
  const streamers = Array.from({ length: options.streams }, (_, i) => new Streamer(join(root, `live-${i}.sock`), loop, options.reconnectEveryLoops ?? 0));
  for (const s of streamers) s.start();

  const t0 = Date.now();
  const samples: SoakSample[] = [];
  const sample = () => {
    const s = sampleProcess(pid, (Date.now() - t0) / 1000);
    if (s) samples.push(s);
  };
  sample();
  const sampler = setInterval(sample, options.sampleMs);
  const dropper = options.dropEveryMs > 0 ? setInterval(drop, options.dropEveryMs) : null;
  let temperatureChanges = 0;
  const heater = cycleMs > 0 ? setInterval(() => setTemp(++temperatureChanges % 2 === 1 ? 78 : 50), cycleMs) : null;
  const snapshotTimers = snapshotAt.map((min) =>
    setTimeout(() => {
      daemon.child.kill('SIGUSR2');
      log(`heap snapshot requested at ${min} min`);
    }, min * 60_000),
  );
  let lastReport = Date.now();
  while (Date.now() - t0 < options.minutes * 60_000 && daemon.child.exitCode === null) {
    await sleep(1000);
    if (Date.now() - lastReport >= 60_000) {
      lastReport = Date.now();
      const s = samples.at(-1);
      const q = readQueue(join(root, 'data'));
      log(`${((Date.now() - t0) / 60_000).toFixed(1)} min: ${tally.unique} transcripts, RSS ${s?.rssMb.toFixed(1)} MB, ${s?.fds} fds, ${s?.threads} threads, queue pending ${q.pending.length} done ${q.done.length} failed ${q.failed.length}`);
    }
  }
  if (dropper) clearInterval(dropper);
  if (heater) clearInterval(heater);
  for (const timer of snapshotTimers) clearTimeout(timer);
  for (const s of streamers) s.stop();
  await Promise.all(streamers.map((s) => s.done.catch((err: Error) => log(`streamer: ${err.message}`))));
  clearInterval(sampler);
  const soakSec = (Date.now() - t0) / 1000;

  const liveExpected = streamers.reduce((n, s) => n + s.loops * SEGMENTS_PER_LOOP, 0);
  const batchExpected = recordings * SEGMENTS_PER_LOOP;
  const bySource = () => {
    let live = 0;
    let batch = 0;
    for (const p of tally.payloads.values()) if (p.sourceId === 'batch') batch++;
    else live++;
    return { live, batch };
  };
  await waitFor(
    () => spoolWaiting(spool).length === 0 && readQueue(join(root, 'data')).pending.length === 0 && bySource().live >= liveExpected && bySource().batch >= batchExpected,
    180_000,
    'the backlog to drain',
  ).catch((err: Error) => log(err.message));
  const drainSec = (Date.now() - t0) / 1000 - soakSec;
  await sleep(IDLE_SETTLE_MS);
  const idleAfter = sampleIdle(pid, (Date.now() - t0) / 1000);
  const got = bySource();
  const liveLatencyMs = [...tally.payloads.values()].filter((p) => p.sourceId !== 'batch').map((p) => tally.firstSeen.get(p.id)! - Date.parse(p.endedAt));
  const alive = daemon.child.exitCode === null;
  daemon.child.kill('SIGTERM');
  const exit = await daemon.exited;
  await tally.stop();

  const steady = samples.filter((s) => s.t >= soakSec * 0.2);
  const perHour = (pick: (s: SoakSample) => number) => slope(steady.map((s) => [s.t, pick(s)])) * 3600;
  return {
    options,
    dir: root,
    soakSec,
    drainSec,
    live: { expected: liveExpected, delivered: got.live, connections: streamers.reduce((n, s) => n + s.connections, 0) },
    batch: { expected: batchExpected, delivered: got.batch },
    duplicates: tally.duplicates,
    lost: Math.max(0, liveExpected - got.live) + Math.max(0, batchExpected - got.batch),
    liveLatencyMs,
    samples,
    steady,
    perHour: { rssMb: perHour((s) => s.rssMb), fds: perHour((s) => s.fds), threads: perHour((s) => s.threads) },
    idle: { before: idleBefore, after: idleAfter },
    alive,
    exit,
    ...(cycleMs > 0 ? { thermal: { changes: temperatureChanges, reloads: (daemon.output().match(/model loaded.*: \d+ → \d+ threads/g) ?? []).length } } : {}),
  };
}

export function formatSoakReport(r: SoakReport): string {
  const o = r.options;
  const firstLastMax = (pick: (s: SoakSample) => number, digits: number) =>
    `${pick(r.samples[0]!).toFixed(digits)} / ${pick(r.samples.at(-1)!).toFixed(digits)} / ${Math.max(...r.samples.map(pick)).toFixed(digits)}`;
  const lat = (p: number) => percentile(r.liveLatencyMs, p);
  const rows: Array<[string, string]> = [
    ['soak', `${(r.soakSec / 60).toFixed(1)} min, ${o.streams} live streams (real time, ${r.live.connections} connections) + spool backlog ${o.backlog}${o.dropEveryMs > 0 ? ` (+1 every ${o.dropEveryMs / 1000} s)` : ''}, then ${r.drainSec.toFixed(0)} s to drain`],
    ['transcripts live expected / delivered', `${r.live.expected} / ${r.live.delivered}`],
    ['transcripts batch expected / delivered', `${r.batch.expected} / ${r.batch.delivered}`],
    ['transcripts duplicated', String(r.duplicates)],
    ['transcripts lost', String(r.lost)],
    ['live latency (end of speech → subscriber) p50 / p95 / max', `${lat(50)} / ${lat(95)} / ${lat(100)} ms`],
    ['RSS first / last / max', `${firstLastMax((s) => s.rssMb, 1)} MB`],
    ['RSS slope after warm-up', `${r.perHour.rssMb.toFixed(2)} MB/hour (${r.steady.length} samples)`],
    ['open fds first / last / max', firstLastMax((s) => s.fds, 0)],
    ['fd slope after warm-up', `${r.perHour.fds.toFixed(2)} fds/hour`],
    ['threads first / last / max', firstLastMax((s) => s.threads, 0)],
    ['thread slope after warm-up', `${r.perHour.threads.toFixed(2)} threads/hour`],
    ['at rest before / after: RSS, fds, threads', `${idleLine(r.idle.before)} / ${r.idle.after ? idleLine(r.idle.after) : 'gone'}`],
    ['daemon', `${r.alive ? 'alive at the end' : 'DIED'}; exit on SIGTERM: ${r.exit}`],
    ...(r.thermal ? [['thermal soft band entered or left / model reloads', `${r.thermal.changes} / ${r.thermal.reloads}`] as [string, string]] : []),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

function idleLine(s: SoakSample): string {
  return `${s.rssMb.toFixed(1)} MB, ${s.fds}, ${s.threads}`;
}

function sampleIdle(pid: number, t: number): IdleSample | undefined {
  const sample = sampleProcess(pid, t);
  if (!sample) return undefined;
  const fdTargets: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      fdTargets.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed between listing and reading
    }
  }
  return { ...sample, fdTargets };
}

/** RSS, open fds and threads of a process from /proc; undefined once it is gone. */
function sampleProcess(pid: number, t: number): SoakSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    return { t, rssMb: field('VmRSS') / 1024, fds: readdirSync(`/proc/${pid}/fd`).length, threads: field('Threads') };
  } catch {
    return undefined; // the daemon is gone; the report says so
  }
}

/**
 * Streams a loop of PCM at real time (100 ms chunks) into a socket source until stopped,
 * hanging up and dialling again after every `reconnectEvery` loops (0: never), as a
 * recorder that restarts does.
 */
class Streamer {
  loops = 0;
  connections = 0;
  private stopped = false;
  done: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly loop: Buffer,
    private readonly reconnectEvery: number,
  ) {}

  start(): void {
    this.done = this.run();
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    while (!this.stopped) await this.session();
  }

  private async session(): Promise<void> {
    const socket: Socket = connect(this.path);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    this.connections++;
    const chunk = RATE * 2 * 0.1;
    let next = Date.now();
    const send = async (bytes: Buffer) => {
      if (!socket.write(bytes)) await new Promise((r) => socket.once('drain', r));
      next += 100;
      await sleep(Math.max(0, next - Date.now()));
    };
    let loopsHere = 0;
    while (!this.stopped && (this.reconnectEvery === 0 || loopsHere < this.reconnectEvery)) {
      for (let off = 0; off < this.loop.length; off += chunk) await send(this.loop.subarray(off, off + chunk));
      this.loops++;
      loopsHere++;
    }
    // Two more seconds of quiet close the last stretch of speech before the sender leaves.
    for (let i = 0; i < 20; i++) await send(Buffer.alloc(chunk));
    await new Promise<void>((resolve) => socket.end(resolve));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
