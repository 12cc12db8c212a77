import t, { type Test } from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { writeLongRecording } from '../helpers/long-recording.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';

/**
 * `systemctl stop` (or restart) in the middle of a long recording: the daemon interrupts
 * the job between batches instead of waiting for it (or for systemd's SIGKILL), exits 0,
 * and the next start transcribes only the rest. After a SIGKILL the next start resumes from
 * the last batch saved. Either way every segment's transcript reaches the subscriber, and
 * the job ends done with all of them.
 */

/** 150 × (speech, pause, speech): 300 segments, about 14 minutes. */
const COPIES = 150;
const SEGMENTS = COPIES * 2;

/**
 * Starts a daemon on `recording`, stops it with `signal` once 12 transcripts arrived, and
 * starts it again; returns what the test checks.
 */
async function stopPartWay(t: Test, signal: 'SIGTERM' | 'SIGKILL') {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const dir = tempDir('earshot-e2e-resume-');
  const recording = join(dir, 'meeting.wav');
  await writeLongRecording(recording, COPIES);
  const dataDir = join(dir, 'data');
  const config = { ...spoolPipelineConfig({ siteId: 'resume', spool: tempDir('earshot-e2e-resume-spool-'), brokerUrl: broker.url, dataDir }), scheduler: { tickMs: 100, stopGraceSec: 0 } };

  const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.teardown(() => subscriber.end(true));
  const received: TranscriptPayload[] = [];
  subscriber.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as TranscriptPayload));
  await subscriber.subscribeAsync('earshot/resume/transcript/#', { qos: 1 });

  const first = await startDaemon(config);
  t.teardown(() => {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
  });
  const submitted = await runCli(['jobs', 'submit', recording, '--json', '--socket', first.socket]);
  t.equal(submitted.code, 0, submitted.stderr);
  const jobId = (JSON.parse(submitted.stdout) as { submitted: Array<{ id: string }> }).submitted[0]!.id;
  await waitFor(() => received.length >= 12, 60_000, 'the first transcripts');

  const signalled = Date.now();
  first.child.kill(signal);
  const exit = await first.exited;
  const stopMs = Date.now() - signalled;
  const attempts = (JSON.parse(readFileSync(join(dataDir, 'queue', 'pending', `${jobId}.json`), 'utf8')) as { attempts: number }).attempts;
  const progressFile = join(dataDir, 'queue', 'progress', `${jobId}.jsonl`);
  // A header line, a line per finished segment, and a resume point after a clean stop.
  const lines = readFileSync(progressFile, 'utf8').trim().split('\n');
  const saved = lines.filter((l) => l.includes('"startSec"')).length;
  const resumePoint = lines.some((l) => l.includes('"resumeAt"'));

  const second = await startDaemon(config);
  t.teardown(() => {
    if (second.child.exitCode === null) second.child.kill('SIGKILL');
  });
  await waitFor(() => /job done/.test(second.output()), 120_000, 'the job to finish');
  const resumed = /job resumed from its saved progress.*segmentsKept=(\d+).*segmentsTranscribed=(\d+)/.exec(second.output());
  await waitFor(() => new Set(received.map((r) => r.id)).size >= SEGMENTS, 30_000, 'every transcript');
  const done = await runCli(['jobs', 'list', '--state', 'done', '--json', '--socket', second.socket]);
  second.child.kill('SIGTERM');
  return {
    first: first.output(),
    exit,
    stopMs,
    attempts,
    saved,
    resumePoint,
    readFrom: /job resumed from its saved progress.*readFromSec=/.test(second.output()),
    kept: Number(resumed?.[1]),
    transcribed: Number(resumed?.[2]),
    progressLeft: existsSync(progressFile),
    ids: new Set(received.map((r) => r.id)).size,
    offsets: new Set(received.map((r) => r.startOffsetSec)).size,
    doneList: done.stdout,
    jobId,
    secondExit: await second.exited,
  };
}

t.test('a stop in the middle of a long recording interrupts it, and the next start does only the rest', async (t) => {
  const r = await stopPartWay(t, 'SIGTERM');
  t.equal(r.exit, 0, 'exits 0');
  t.ok(r.stopMs < 10_000, `stopped in ${r.stopMs} ms`);
  t.match(r.first, /interrupting 1 running job\(s\) at their next safe point/);
  t.match(r.first, /job interrupted by the stop; it resumes after the restart/);
  t.equal(r.attempts, 0, 'the interrupted try is not counted against the job');
  t.ok(r.saved >= 12 && r.saved < SEGMENTS, `progress saved part-way: ${r.saved} of ${SEGMENTS} segments`);
  t.same([r.kept, r.transcribed], [r.saved, SEGMENTS - r.saved], 'the next start kept what was saved and transcribed only the rest');
  t.ok(r.resumePoint && r.readFrom, 'the stop saved a resume point, and the next start read the audio from there');
  t.notOk(r.progressLeft, 'progress deleted once the job is done');
  t.equal(r.ids, SEGMENTS, 'one transcript per segment, none missing');
  t.equal(r.offsets, SEGMENTS, 'every segment of the recording is covered');
  t.match(r.doneList, r.jobId, 'the job is done');
  t.equal(r.secondExit, 0);
});

t.test('after a SIGKILL in the middle of a long recording the next start resumes from the last saved batch', async (t) => {
  const r = await stopPartWay(t, 'SIGKILL');
  t.equal(r.exit, 'SIGKILL');
  t.equal(r.attempts, 1, 'a death counts as a try (the crash-loop guard), until the next run gets further');
  t.ok(r.saved >= 8 && r.saved < SEGMENTS, `progress saved part-way: ${r.saved} of ${SEGMENTS} segments`);
  t.same([r.kept, r.transcribed], [r.saved, SEGMENTS - r.saved], 'the next start kept what was saved and transcribed only the rest');
  t.notOk(r.resumePoint || r.readFrom, 'no resume point after a kill: the next start cut the whole file again, to give what was published the same ids');
  t.equal(r.ids, SEGMENTS, 'one transcript per segment, none missing');
  t.equal(r.offsets, SEGMENTS, 'every segment of the recording is covered');
  t.match(r.doneList, r.jobId, 'the job is done');
  t.equal(r.secondExit, 0);
});
