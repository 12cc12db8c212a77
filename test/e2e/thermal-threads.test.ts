import t, { type Test } from 'tap';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import { listThermalSensors, pickSchedulerSensor } from '../../daemon/hardware/thermal.js';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { writeLongRecording } from '../helpers/long-recording.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';

/**
 * The thermal soft limit throttles for real: a daemon on a copy of a Jetson Orin's sysfs
 * (its CPU sensor a file the test writes), with `model.threads: 4`, transcribes a long
 * recording. When the box heats into the soft band the model is loaded again with one
 * thread beside the running session, in place: the job goes on, its next batches on the new
 * session, and the old session is released once its last batch is done (onnxruntime's pool
 * shrinks in the daemon process). Nothing is interrupted. Cool again, the model gets its
 * four threads back. Every segment's transcript arrives once.
 */

/** 150 × (speech, pause, speech): 300 segments, about 14 minutes. */
const COPIES = 150;
const SEGMENTS = COPIES * 2;

const osThreads = (pid: number) => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

for (const priority of ['batch', 'interactive'] as const) {
  t.test(`heat into the soft band reloads the model with fewer threads in place under a running ${priority} job, which goes on; cool, it gets them back`, (t) => throttledRun(t, priority));
}

t.test('a box with too little memory for a second session beside the loaded one: the model is loaded again with fewer threads once idle, not in place; the job stops at a batch and resumes', async (t) => {
  const { setTemp, recording, received, daemon } = await warmBox(t, 'tight', (root) => {
    // Above model.memoryPressurePercent (10 % of MemTotal) by 50 kB: no pressure, but less
    // than twice the fixture model's bytes (2 × 38 kB), which a second session takes.
    const meminfo = join(root, 'proc', 'meminfo');
    const totalKb = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync(meminfo, 'utf8'))?.[1]);
    writeFileSync(meminfo, readFileSync(meminfo, 'utf8').replace(/^MemAvailable:\s+\d+ kB$/m, `MemAvailable: ${Math.ceil(totalKb / 10) + 50} kB`));
  });
  const submitted = await runCli(['jobs', 'submit', recording, '--json', '--socket', daemon.socket]);
  t.equal(submitted.code, 0, submitted.stderr);
  await waitFor(() => received.length >= 8, 60_000, 'the first transcripts');

  setTemp(80);
  await waitFor(() => /model loaded.*threads=1/.test(daemon.output()), 30_000, 'the model loaded again with one thread');
  const log = daemon.output();
  t.match(log, /loaded again with 1 threads once idle, not in place: a second session beside it needs about \d+ kB, and 5\d kB is left before memory pressure/, 'the log says why not in place');
  t.match(log, /interrupting running job.*fewer threads|job interrupted: the model is loaded again with fewer threads/, 'the running job stopped at a batch for it');
  t.match(log, /model loaded reason="thermal soft: 4 → 1 threads"/, 'loaded again with one thread');
  t.notMatch(log, /inPlace=true/, 'after the old session was released, not beside it');
  await waitFor(() => /job done/.test(daemon.output()), 120_000, 'the job to finish');
  t.match(daemon.output(), /job resumed from its saved progress/, 'it resumed where it stopped');
  await waitFor(() => new Set(received.map((r) => r.id)).size >= SEGMENTS, 30_000, 'every transcript');
  t.equal(new Set(received.map((r) => r.id)).size, SEGMENTS, 'one transcript per segment, none missing');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
});

async function throttledRun(t: Test, priority: 'batch' | 'interactive'): Promise<void> {
  const { setTemp, recording, received, daemon } = await warmBox(t, 'warm');
  const pid = daemon.child.pid!;
  const submitted = await runCli(['jobs', 'submit', recording, '--priority', priority, '--json', '--socket', daemon.socket]);
  t.equal(submitted.code, 0, submitted.stderr);
  await waitFor(() => received.length >= 8, 60_000, 'the first transcripts');
  t.match(daemon.output(), /model loaded.*threads=4/, 'loaded with model.threads');
  const withFour = osThreads(pid);

  setTemp(80); // two thirds into the 70-85 °C band: one thread
  await waitFor(() => /model loaded.*thermal soft: 4 → 1 threads.*threads=1.*inPlace=true/.test(daemon.output()), 30_000, 'the model loaded again with one thread, in place');
  const transcriptsAtReload = received.length;
  // The old session is released once the batch running on it is done.
  await waitFor(() => withFour - osThreads(pid) >= 3, 30_000, "onnxruntime's pool to shrink");
  const withOne = osThreads(pid);
  t.ok(withFour - withOne >= 3, `onnxruntime's pool shrank in the daemon: ${withFour} → ${withOne} threads`);
  const status = await runCli(['status', '--socket', daemon.socket]);
  t.match(status.stdout, /model loaded \(1 thread\)/, '`earshot status` shows the session\'s threads');

  await waitFor(() => /job done/.test(daemon.output()), 120_000, 'the job to finish');
  t.ok(received.length > transcriptsAtReload, 'the job went on after the reload');
  t.notMatch(daemon.output(), /interrupting running job|job interrupted|job resumed from its saved progress/, 'without being interrupted: its next batches ran on the new session');
  await waitFor(() => new Set(received.map((r) => r.id)).size >= SEGMENTS, 30_000, 'every transcript');
  t.equal(new Set(received.map((r) => r.id)).size, SEGMENTS, 'one transcript per segment, none missing');
  t.equal(new Set(received.map((r) => r.startOffsetSec)).size, SEGMENTS, 'every segment of the recording covered');

  setTemp(50);
  await waitFor(() => /model loaded.*thermal normal: 1 → 4 threads|model loaded.*limits changed: 1 → 4 threads/.test(daemon.output()), 30_000, 'the model back to four threads');
  await waitFor(() => osThreads(pid) === withFour, 30_000, 'its pool back');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
}

/**
 * A daemon on a copy of a Jetson Orin's sysfs at 50 °C (`prepare` may change the copy first),
 * with `model.threads: 4` and a broker, a subscriber on its transcripts, and the long recording.
 */
async function warmBox(t: Test, siteId: string, prepare: (root: string) => void = () => undefined) {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const dir = tempDir(`earshot-e2e-thermal-${siteId}-`);
  const root = join(dir, 'orin');
  cpSync(join(fixturesDir, 'sysfs', 'jetson-orin'), root, { recursive: true });
  prepare(root);
  const sensor = pickSchedulerSensor(await listThermalSensors(root));
  const setTemp = (c: number): void => writeFileSync(join(root, sensor?.path ?? ''), `${c * 1000}\n`);
  setTemp(50);
  const recording = join(dir, 'meeting.wav');
  await writeLongRecording(recording, COPIES);
  const base = spoolPipelineConfig({ siteId, spool: tempDir(`earshot-e2e-thermal-${siteId}-spool-`), brokerUrl: broker.url, dataDir: join(dir, 'data') });
  const config = {
    ...base,
    model: { ...(base.model as object), threads: 4 },
    scheduler: { tickMs: 100, maxThreads: 4, thermal: { sysfsRoot: root, softC: 70, hardC: 85, hysteresisC: 5 } },
  };

  const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.teardown(() => subscriber.end(true));
  const received: TranscriptPayload[] = [];
  subscriber.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as TranscriptPayload));
  await subscriber.subscribeAsync(`earshot/${siteId}/transcript/#`, { qos: 1 });

  const daemon = await startDaemon(config);
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  return { setTemp, recording, received, daemon };
}
