import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, waitFor, type RunningDaemon } from './daemon-process.js';
import { fixturesDir, tempDir } from './paths.js';
import { Mosquitto, freePort } from './mosquitto.js';
import { prng } from './mutate.js';
import { TranscriptTally, dropRecording, percentile, readQueue, spoolWaiting } from './faults.js';
import { writeLongRecording } from './long-recording.js';
import { callDaemonUntyped } from '../../daemon/control/client.js';
import type { StatusResult } from '../../daemon/control/methods.js';

/**
 * A fault-injection run against real processes: an earshotd fed a spool of short
 * recordings and publishing to a real Mosquitto (with persistence, as a deployment that
 * cares about delivery runs it), while the run SIGKILLs the daemon at random moments and
 * restarts it, and stops and restarts the broker. At the end it counts what a QoS 1
 * subscriber received against what the recordings must produce, and what the job queue
 * holds on disk. Every random choice comes from one printed seed.
 */
export interface FaultRunOptions {
  seed: number;
  /** SIGKILLs of the daemon, each followed by a restart. */
  kills: number;
  /** Stop/start cycles of the broker while the daemon works. */
  brokerRestarts: number;
  /** Recordings dropped into the spool before each fault. */
  filesPerFault: number;
  /** A kill comes this long (uniform, ms) after the daemon said ready. */
  maxKillDelayMs: number;
  /** Longest the broker stays down (uniform, ms). */
  maxBrokerDownMs: number;
  /** Jobs the daemon may see die under it before it gives up on one (scheduler.batch.maxAttempts). */
  maxAttempts: number;
  /**
   * Also submit one long recording of this many (speech, pause, speech) copies as a single
   * file job before the first kill: it runs across the daemon's lives, resuming each time
   * from the segments it saved (0: none).
   */
  longRecordingCopies?: number;
  /**
   * 'mosquitto': an external broker with persistence (it outlives the daemon);
   * 'embedded': the daemon's own in-memory broker on a fixed port, which dies with it.
   */
  broker?: 'mosquitto' | 'embedded';
  /** Progress lines (one per fault). */
  log?: (line: string) => void;
}

export interface FaultRunReport {
  seed: number;
  kills: number;
  brokerRestarts: number;
  /** Unexpected daemon exits (not our SIGKILL). */
  crashes: number;
  recordings: number;
  transcripts: { expected: number; delivered: number; duplicated: number; lost: number };
  jobs: { expected: number; done: number; failed: number; pending: number; lost: number; failures: string[] };
  /** The long recording's job: its segments, the runs that resumed it, and the segments they kept in all. */
  longRecording: { segments: number; done: boolean; resumes: number; segmentsKept: number } | null;
  /** Where the kills landed (for the spool's jobs), judged from the disk afterwards. */
  killPhases: { midJob: number; betweenJobs: number; beforeJobs: number; drained: number; outboxUnsent: number };
  /** Daemon: spawn → ready; broker: broker up → daemon connected again (ms). */
  recoveryMs: { daemon: number[]; broker: number[] };
  wallMs: number;
}

/** Two stretches of speech per recording, each one transcript and one job. */
const SEGMENTS_PER_RECORDING = 2;

export async function runFaults(options: FaultRunOptions): Promise<FaultRunReport> {
  const started = Date.now();
  const rand = prng(options.seed);
  const log = options.log ?? (() => undefined);
  const recording = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const root = tempDir('earshot-faults-');
  const spool = join(root, 'spool');
  const dataDir = join(root, 'data');
  const siteId = `faults-${options.seed}`;
  const embedded = options.broker === 'embedded';
  if (embedded && options.brokerRestarts > 0) throw new Error('the embedded broker restarts only with the daemon; use broker: mosquitto for broker restarts');
  const broker = embedded ? null : await new Mosquitto().start();
  const embeddedPort = embedded ? await freePort() : 0;
  const brokerUrl = broker?.url ?? `mqtt://127.0.0.1:${embeddedPort}`;
  const tally = new TranscriptTally(brokerUrl, `earshot/${siteId}/transcript/#`, `tally-${options.seed}`);
  mkdirSync(spool, { recursive: true });

  const config = {
    siteId,
    dataDir,
    control: { socket: join(root, 'control.sock') },
    mqtt: embedded ? { url: null, embedded: { host: '127.0.0.1', port: embeddedPort } } : { url: brokerUrl },
    sources: [{ id: 'inbox', type: 'spool', dir: spool, settleMs: 200, pollMs: 100 }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100, batch: { maxAttempts: options.maxAttempts } },
  };
  const report: FaultRunReport = {
    seed: options.seed,
    kills: 0,
    brokerRestarts: 0,
    crashes: 0,
    recordings: 0,
    transcripts: { expected: 0, delivered: 0, duplicated: 0, lost: 0 },
    jobs: { expected: 0, done: 0, failed: 0, pending: 0, lost: 0, failures: [] },
    longRecording: null,
    killPhases: { midJob: 0, betweenJobs: 0, beforeJobs: 0, drained: 0, outboxUnsent: 0 },
    recoveryMs: { daemon: [], broker: [] },
    wallMs: 0,
  };
  let longJobId: string | undefined;
  const longRecording = join(root, 'long-meeting.wav');
  const longSegments = options.longRecordingCopies ? await writeLongRecording(longRecording, options.longRecordingCopies) : 0;
  /** Counts the resumes of the long job a daemon's log shows, once the daemon is gone. */
  const countResumes = (output: string) => {
    if (!report.longRecording) return;
    for (const m of output.matchAll(/job resumed from its saved progress.*segmentsKept=(\d+)/g)) {
      report.longRecording.resumes++;
      report.longRecording.segmentsKept += Number(m[1]);
    }
  };
  // Recordings get mtimes one second apart in the past: the spool takes them oldest first.
  const base = Math.floor(Date.now() / 1000) - 3600;
  const drop = (n: number) => {
    for (let i = 0; i < n; i++) {
      dropRecording(spool, `rec-${String(report.recordings).padStart(4, '0')}.wav`, recording, base + report.recordings);
      report.recordings++;
    }
  };

  let daemon: RunningDaemon | null = null;
  let killing = false;
  const launch = async (): Promise<RunningDaemon> => {
    const t0 = Date.now();
    const d = await startDaemon(config);
    report.recoveryMs.daemon.push(Date.now() - t0);
    const outbox = /outbox: pending messages from the last run depth=(\d+)/.exec(d.output());
    if (outbox && Number(outbox[1]) > 0 && report.kills > 0) report.killPhases.outboxUnsent++;
    void d.exited.then((how) => {
      if (!killing && d === daemon) {
        report.crashes++;
        log(`daemon exited on its own (${how}):\n${d.output().slice(-3000)}`);
      }
    });
    return d;
  };

  try {
    // The embedded broker exists only once the daemon runs.
    if (embedded) daemon = await launch();
    await tally.start();
    for (let k = 0; k < options.kills; k++) {
      drop(options.filesPerFault);
      const atLaunch = new Map(readQueue(dataDir).pending.map((j) => [j.id, j.attempts]));
      daemon ??= await launch();
      if (longSegments > 0 && longJobId === undefined) {
        // A later deadline than the spool's segments: it is the backlog, worked on between them.
        const deadline = new Date(Date.now() + 48 * 3600e3).toISOString();
        const submitted = (await callDaemonUntyped('jobs.submit', { paths: [longRecording], priority: 'batch', deadline }, { socket: config.control.socket, timeoutMs: 10_000 })) as { submitted: Array<{ id: string }> };
        longJobId = submitted.submitted[0]?.id;
        report.longRecording = { segments: longSegments, done: false, resumes: 0, segmentsKept: 0 };
      }
      const delay = Math.round(rand() * options.maxKillDelayMs);
      await sleep(delay);
      killing = true;
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      killing = false;
      countResumes(daemon.output());
      daemon = null;
      report.kills++;
      // Judge where the kill landed from what it left on disk: a job whose attempt count
      // rose in this life and is still pending was running when the process died. The long
      // recording runs in most lives, so it is left out of this.
      const raw = readQueue(dataDir);
      const after = { ...raw, pending: raw.pending.filter((j) => j.id !== longJobId) };
      const waiting = spoolWaiting(spool);
      if (after.pending.some((j) => j.attempts > (atLaunch.get(j.id) ?? 0))) report.killPhases.midJob++;
      else if (after.pending.length > 0) report.killPhases.betweenJobs++;
      else if (waiting.length > 0) report.killPhases.beforeJobs++;
      else report.killPhases.drained++;
      log(`kill ${k + 1}/${options.kills} after ${delay} ms: ${after.done.length} jobs done, ${after.pending.length} pending, ${waiting.length} recordings waiting, ${tally.unique} transcripts`);
    }
    daemon ??= await launch();
    for (let r = 0; r < options.brokerRestarts; r++) {
      // Some recordings before the outage, the rest during it: their transcripts can only wait in the outbox.
      const during = Math.floor(options.filesPerFault / 2);
      drop(options.filesPerFault - during);
      await sleep(Math.round(rand() * 600));
      await broker!.stop();
      drop(during);
      const down = Math.round(100 + rand() * options.maxBrokerDownMs);
      await sleep(down);
      await broker!.start();
      const up = Date.now();
      await waitFor(mqttConnected(daemonStatus), 20_000, 'the daemon to reconnect to the broker').catch(() => undefined);
      report.recoveryMs.broker.push(Date.now() - up);
      report.brokerRestarts++;
      log(`broker restart ${r + 1}/${options.brokerRestarts}: down ${down} ms, daemon reconnected after ${report.recoveryMs.broker.at(-1)} ms; ${tally.unique} transcripts`);
    }

    report.jobs.expected = report.recordings * SEGMENTS_PER_RECORDING + (longJobId !== undefined ? 1 : 0);
    report.transcripts.expected = report.recordings * SEGMENTS_PER_RECORDING + (longJobId !== undefined ? longSegments : 0);
    const settled = () => {
      const q = readQueue(dataDir);
      return spoolWaiting(spool).length === 0 && q.pending.length === 0 && q.done.length + q.failed.length >= report.jobs.expected && tally.unique >= report.transcripts.expected;
    };
    await waitFor(settled, 60_000, 'every recording to be transcribed and delivered').catch((err: Error) => log(err.message));
  } finally {
    if (daemon) {
      killing = true;
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      countResumes(daemon.output());
    }
    await tally.stop();
    await broker?.stop();
  }
  const q = readQueue(dataDir);
  report.jobs.done = q.done.length;
  if (report.longRecording && longJobId !== undefined) report.longRecording.done = q.done.includes(longJobId);
  report.jobs.failed = q.failed.length;
  report.jobs.failures = q.failed.map((f) => `${f.id}: ${f.error}`);
  report.jobs.pending = q.pending.length;
  report.jobs.lost = Math.max(0, report.jobs.expected - report.jobs.done);
  report.transcripts.delivered = tally.unique;
  report.transcripts.duplicated = tally.duplicates;
  report.transcripts.lost = Math.max(0, report.transcripts.expected - tally.unique);
  report.wallMs = Date.now() - started;
  return report;

  async function daemonStatus(): Promise<StatusResult | null> {
    if (!daemon) return null;
    try {
      return (await callDaemonUntyped('status', {}, { socket: config.control.socket, timeoutMs: 1000 })) as StatusResult;
    } catch {
      return null; // not answering yet
    }
  }
}

/** Polls the daemon's status until its MQTT component says connected (waitFor wants a sync check). */
function mqttConnected(status: () => Promise<StatusResult | null>): () => boolean {
  let connected = false;
  let asking = false;
  return () => {
    if (!asking) {
      asking = true;
      void status().then((s) => {
        connected = s?.components.find((c) => c.name === 'mqtt')?.state === 'connected';
        asking = false;
      });
    }
    return connected;
  };
}

/** One line per figure, for a test's diagnostics and the bench's table. */
export function formatReport(r: FaultRunReport): string {
  const p = (xs: number[], q: number) => (xs.length ? `${percentile(xs, q)} ms` : '–');
  const rows: Array<[string, string]> = [
    ['seed', String(r.seed)],
    ['faults injected', `${r.kills} daemon SIGKILLs, ${r.brokerRestarts} broker restarts`],
    ['kills landed', `${r.killPhases.midJob} mid-job, ${r.killPhases.betweenJobs} between jobs, ${r.killPhases.beforeJobs} before any job (start-up, VAD), ${r.killPhases.drained} with nothing left; ${r.killPhases.outboxUnsent} left an unsent outbox`],
    ['recordings', String(r.recordings)],
    ...(r.longRecording ? [['long recording (one file job)', `${r.longRecording.segments} segments, ${r.longRecording.done ? 'done' : 'NOT done'}; resumed ${r.longRecording.resumes} times, ${r.longRecording.segmentsKept} segments kept in all`] as [string, string]] : []),
    ['transcripts expected', String(r.transcripts.expected)],
    ['transcripts delivered', String(r.transcripts.delivered)],
    ['transcripts duplicated', String(r.transcripts.duplicated)],
    ['transcripts lost', String(r.transcripts.lost)],
    ['jobs expected / done / failed / pending', `${r.jobs.expected} / ${r.jobs.done} / ${r.jobs.failed} / ${r.jobs.pending}`],
    ['jobs lost', String(r.jobs.lost)],
    ['daemon crashes (unplanned exits)', String(r.crashes)],
    ['daemon recovery (spawn → ready) p50 / p95', `${p(r.recoveryMs.daemon, 50)} / ${p(r.recoveryMs.daemon, 95)}`],
    ['broker recovery (broker up → reconnected) p50 / p95', `${p(r.recoveryMs.broker, 50)} / ${p(r.recoveryMs.broker, 95)}`],
    ['wall time', `${(r.wallMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
