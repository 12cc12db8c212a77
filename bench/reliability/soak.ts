/**
 * Soak benchmark (issue #9): N live sources streaming PCM in real time over unix sockets
 * plus a batch backlog in a spool folder, for a bounded time, against one earshotd. Samples
 * the daemon's RSS and open file descriptors and reports their slopes after warm-up (flat
 * means no leak), live transcript latency (end of speech → at the subscriber) p50/p95, and
 * transcripts expected vs delivered per kind.
 *
 *   npx tsc -b && node dist/bench/reliability/soak.js --minutes 20 --streams 4
 *
 * Options: --minutes N (20), --streams N (4), --backlog N (30 recordings at the start),
 * --drop-every-s N (10: one more recording this often), --sample-s N (5),
 * --heap-snapshots-at 2,10 (minutes: the daemon writes V8 heap snapshots into the run's
 * directory then, for finding what grows).
 * Exit status 1 when a transcript was lost or the daemon died.
 */
import { connect, type Socket } from 'node:net';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDaemon, waitFor } from '../../test/helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../../test/helpers/paths.js';
import { pcmOf } from '../../test/helpers/malformed-audio.js';
import { TranscriptTally, dropRecording, percentile, readQueue, slope, spoolWaiting } from '../../test/helpers/faults.js';
import { freePort } from '../../scripts/free-port.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '20' },
    streams: { type: 'string', default: '4' },
    backlog: { type: 'string', default: '30' },
    'drop-every-s': { type: 'string', default: '10' },
    'sample-s': { type: 'string', default: '5' },
    'heap-snapshots-at': { type: 'string', default: '' },
  },
});
const minutes = Number(values.minutes);
const streams = Number(values.streams);
const backlog = Number(values.backlog);
const dropEveryMs = Number(values['drop-every-s']) * 1000;
const sampleMs = Number(values['sample-s']) * 1000;
for (const [name, v] of Object.entries({ minutes, streams, backlog, dropEveryMs, sampleMs })) {
  if (!Number.isFinite(v) || v < 0) {
    console.error(`${name}: expected a number ≥ 0`);
    process.exit(2);
  }
}

const RATE = 16000;
/** Two stretches of speech per loop of the recording, so two transcripts. */
const SEGMENTS_PER_LOOP = 2;
const recording = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
const speech = pcmOf(recording);
const gap = Buffer.alloc(RATE * 2 * 1.5);

const root = tempDir('earshot-soak-');
const spool = join(root, 'spool');
mkdirSync(spool);
const port = await freePort();
const site = 'soak';
const snapshotAt = values['heap-snapshots-at'] ? values['heap-snapshots-at'].split(',').map(Number) : [];
const daemon = await startDaemon({
  siteId: site,
  dataDir: join(root, 'data'),
  control: { socket: join(root, 'control.sock') },
  mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
  sources: [
    ...Array.from({ length: streams }, (_, i) => ({ id: `live-${i}`, type: 'socket', path: join(root, `live-${i}.sock`), format: { encoding: 's16le', sampleRate: RATE, channels: 1 } })),
    { id: 'batch', type: 'spool', dir: spool, settleMs: 500, pollMs: 500 },
  ],
  vad: { detector: 'energy' },
  model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
  scheduler: { tickMs: 500 },
}, snapshotAt.length ? { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${root}` } : {});
const pid = daemon.child.pid!;
const tally = new TranscriptTally(`mqtt://127.0.0.1:${port}`, `earshot/${site}/transcript/#`, 'soak-tally');
await tally.start();
console.log(`earshotd pid ${pid}; ${streams} live streams, backlog ${backlog}, ${minutes} min`);

let recordings = 0;
const base = Math.floor(Date.now() / 1000) - 3600;
const drop = () => dropRecording(spool, `rec-${String(recordings).padStart(5, '0')}.wav`, recording, base + recordings++);
for (let i = 0; i < backlog; i++) drop();

/** Streams the recording in a loop at real time (100 ms chunks), each loop followed by 1.5 s of quiet. */
class Streamer {
  loops = 0;
  private socket: Socket | null = null;
  private stopped = false;
  done: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  start(): void {
    this.done = this.run();
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    const socket = connect(this.path);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const loop = Buffer.concat([speech, gap]);
    const chunk = RATE * 2 * 0.1;
    let next = Date.now();
    while (!this.stopped) {
      for (let off = 0; off < loop.length; off += chunk) {
        if (!socket.write(loop.subarray(off, off + chunk))) await new Promise((r) => socket.once('drain', r));
        next += 100;
        await sleep(Math.max(0, next - Date.now()));
      }
      this.loops++;
    }
    // Two more seconds of quiet close the last stretch of speech before the sender leaves.
    for (let i = 0; i < 20; i++) {
      socket.write(Buffer.alloc(chunk));
      await sleep(100);
    }
    await new Promise<void>((resolve) => socket.end(resolve));
  }
}

const streamers = Array.from({ length: streams }, (_, i) => new Streamer(join(root, `live-${i}.sock`)));
for (const s of streamers) s.start();

const t0 = Date.now();
const samples: Array<{ t: number; rssMb: number; fds: number }> = [];
const sample = () => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    samples.push({ t: (Date.now() - t0) / 1000, rssMb: rssKb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length });
  } catch {
    // the daemon is gone; reported below
  }
};
sample();
const sampler = setInterval(sample, sampleMs);
const dropper = dropEveryMs > 0 ? setInterval(drop, dropEveryMs) : null;
let lastReport = Date.now();
for (const min of snapshotAt) {
  setTimeout(() => {
    daemon.child.kill('SIGUSR2');
    console.log(`heap snapshot requested at ${min} min (in ${root})`);
  }, min * 60_000).unref();
}
while (Date.now() - t0 < minutes * 60_000 && daemon.child.exitCode === null) {
  await sleep(1000);
  if (Date.now() - lastReport >= 60_000) {
    lastReport = Date.now();
    const s = samples.at(-1);
    console.log(`${((Date.now() - t0) / 60_000).toFixed(1)} min: ${tally.unique} transcripts, RSS ${s?.rssMb.toFixed(1)} MB, ${s?.fds} fds, queue ${JSON.stringify(counts())}`);
  }
}
if (dropper) clearInterval(dropper);
for (const s of streamers) s.stop();
await Promise.all(streamers.map((s) => s.done));
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
await waitFor(() => spoolWaiting(spool).length === 0 && readQueue(join(root, 'data')).pending.length === 0 && bySource().live >= liveExpected && bySource().batch >= batchExpected, 180_000, 'the backlog to drain').catch((err: Error) =>
  console.log(err.message),
);
const drainSec = (Date.now() - t0) / 1000 - soakSec;
const got = bySource();
const latencies = [...tally.payloads.values()].filter((p) => p.sourceId !== 'batch').map((p) => tally.firstSeen.get(p.id)! - Date.parse(p.endedAt));
const alive = daemon.child.exitCode === null;
daemon.child.kill('SIGTERM');
const exit = await daemon.exited;
await tally.stop();

// Slopes after a fifth of the run: the model load and first allocations are not a leak.
const steady = samples.filter((s) => s.t >= soakSec * 0.2);
const perHour = 3600;
const rows: Array<[string, string]> = [
  ['soak', `${(soakSec / 60).toFixed(1)} min, ${streams} live streams (real time) + spool backlog ${backlog} (+1 every ${dropEveryMs / 1000} s), then ${drainSec.toFixed(0)} s to drain`],
  ['transcripts live expected / delivered', `${liveExpected} / ${got.live}`],
  ['transcripts batch expected / delivered', `${batchExpected} / ${got.batch}`],
  ['transcripts duplicated', String(tally.duplicates)],
  ['transcripts lost', String(Math.max(0, liveExpected - got.live) + Math.max(0, batchExpected - got.batch))],
  ['live latency (end of speech → subscriber) p50 / p95 / max', `${percentile(latencies, 50)} / ${percentile(latencies, 95)} / ${percentile(latencies, 100)} ms`],
  ['RSS first / last / max', `${samples[0]?.rssMb.toFixed(1)} / ${samples.at(-1)?.rssMb.toFixed(1)} / ${Math.max(...samples.map((s) => s.rssMb)).toFixed(1)} MB`],
  ['RSS slope after warm-up', `${(slope(steady.map((s) => [s.t, s.rssMb])) * perHour).toFixed(2)} MB/hour (${steady.length} samples)`],
  ['open fds first / last / max', `${samples[0]?.fds} / ${samples.at(-1)?.fds} / ${Math.max(...samples.map((s) => s.fds))}`],
  ['fd slope after warm-up', `${(slope(steady.map((s) => [s.t, s.fds])) * perHour).toFixed(2)} fds/hour`],
  ['daemon', `${alive ? 'alive at the end' : 'DIED'}; exit on SIGTERM: ${exit}`],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'));
const lost = liveExpected - got.live + (batchExpected - got.batch);
process.exit(lost > 0 || !alive ? 1 : 0);

function counts() {
  const q = readQueue(join(root, 'data'));
  return { pending: q.pending.length, done: q.done.length, failed: q.failed.length };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
