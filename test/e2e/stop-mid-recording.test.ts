import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { MODEL_SAMPLE_RATE } from '../../daemon/audio/types.js';
import { wavHeader } from '../../daemon/audio/wav-writer.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';

/**
 * `systemctl stop` (or restart) in the middle of a long recording: the daemon interrupts
 * the job between batches instead of waiting for it (or for systemd's SIGKILL), exits 0,
 * and the next start transcribes only the rest. Every segment's transcript reaches the
 * subscriber, and the job ends done with all of them.
 */
const COPIES = 150;
const SEGMENTS = COPIES * 2;

/** 150 × (speech, pause, speech): 300 segments, 16-bit, about 14 minutes. */
async function longRecording(path: string): Promise<void> {
  const one = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const pcm = Buffer.alloc(one.length * 2 * COPIES);
  for (let k = 0; k < COPIES; k++) for (let i = 0; i < one.length; i++) pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(one[i]! * 32767))), (k * one.length + i) * 2);
  writeFileSync(path, Buffer.concat([wavHeader({ sampleRate: MODEL_SAMPLE_RATE, channels: 1, bitsPerSample: 16, format: 'pcm', dataBytes: pcm.length }), pcm]));
}

t.test('a stop in the middle of a long recording interrupts it, and the next start does only the rest', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const dir = tempDir('earshot-e2e-resume-');
  const recording = join(dir, 'meeting.wav');
  await longRecording(recording);
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
  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0, 'exits 0');
  const tookMs = Date.now() - signalled;
  t.ok(tookMs < 10_000, `stopped in ${tookMs} ms`);
  t.match(first.output(), /interrupting 1 running job\(s\) at their next safe point/);
  t.match(first.output(), /job interrupted by the stop; it resumes after the restart/);

  const pending = JSON.parse(readFileSync(join(dataDir, 'queue', 'pending', `${jobId}.json`), 'utf8')) as { attempts: number };
  t.equal(pending.attempts, 0, 'the interrupted try is not counted against the job');
  const progressFile = join(dataDir, 'queue', 'progress', `${jobId}.json`);
  const saved = (JSON.parse(readFileSync(progressFile, 'utf8')) as { segments: unknown[] }).segments.length;
  t.ok(saved >= 12 && saved < SEGMENTS, `progress saved part-way: ${saved} of ${SEGMENTS} segments`);

  const second = await startDaemon(config);
  t.teardown(() => {
    if (second.child.exitCode === null) second.child.kill('SIGKILL');
  });
  await waitFor(() => /job done/.test(second.output()), 120_000, 'the job to finish');
  const resumed = /job resumed from its saved progress.*segmentsKept=(\d+).*segmentsTranscribed=(\d+)/.exec(second.output());
  t.ok(resumed, 'the second run resumed');
  t.same([Number(resumed?.[1]), Number(resumed?.[2])], [saved, SEGMENTS - saved], 'it kept what was saved and transcribed only the rest');
  t.notOk(existsSync(progressFile), 'progress deleted once the job is done');

  await waitFor(() => new Set(received.map((r) => r.id)).size >= SEGMENTS, 30_000, 'every transcript');
  const ids = new Set(received.map((r) => r.id));
  t.equal(ids.size, SEGMENTS, 'one transcript per segment, none missing');
  const offsets = new Set(received.map((r) => r.startOffsetSec));
  t.equal(offsets.size, SEGMENTS, 'every segment of the recording is covered');

  const done = await runCli(['jobs', 'list', '--state', 'done', '--json', '--socket', second.socket]);
  t.equal(done.code, 0, done.stderr);
  t.match(done.stdout, jobId, 'the job is done');
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);
});
