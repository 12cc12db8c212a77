import t from 'tap';
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startDaemonOnFreePort, runCli, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { payloadErrors } from '../../daemon/mqtt/payload-schemas.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';

/**
 * The whole pipeline in a real daemon: a recording dropped into a spool folder is cut by
 * VAD, queued, transcribed by a real ONNX model (a fixture NeMo-CTC model with random
 * weights: its words are noise, its shapes and timings are real), and reaches an MQTT
 * subscriber as a schema-valid transcript; a broken file fails alone.
 */
t.test('spool recording → VAD → queue → ASR → MQTT transcripts; a bad file fails on its own', async (t) => {
  const spool = tempDir('earshot-e2e-spool-');
  const { daemon, port } = await startDaemonOnFreePort((port) => ({
    siteId: 'e2e',
    mqtt: { url: null, embedded: { host: '127.0.0.1', port }, telemetryIntervalSec: 1 },
    sources: [{ id: 'lobby', type: 'spool', dir: spool, settleMs: 200, pollMs: 100 }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
  }));
  t.teardown(async () => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  const transcripts: TranscriptPayload[] = [];
  const telemetry: Array<{ model: { id: string | null; state: string } }> = [];
  subscriber.on('message', (topic, payload) => {
    if (topic === 'earshot/e2e/telemetry') telemetry.push(JSON.parse(payload.toString()) as (typeof telemetry)[number]);
    else transcripts.push(JSON.parse(payload.toString()) as TranscriptPayload);
  });
  await subscriber.subscribeAsync({ 'earshot/e2e/transcript/#': { qos: 1 }, 'earshot/e2e/telemetry': { qos: 0 } });

  // A writer that uses the .part convention: the file is only picked up once renamed.
  copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), join(spool, 'meeting.wav.part'));
  renameSync(join(spool, 'meeting.wav.part'), join(spool, 'meeting.wav'));
  writeFileSync(join(spool, 'broken.wav'), Buffer.concat([Buffer.from('RIFF\xff\xff\xff\xffWAVEfmt ', 'latin1'), Buffer.alloc(64, 7)]));

  await waitFor(() => transcripts.length >= 2, 60_000, 'two transcripts');
  const truth = JSON.parse(readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.json'), 'utf8')) as { speech: Array<[number, number]> };
  t.equal(transcripts.length, 2, 'one transcript per stretch of speech');
  for (const [i, tr] of transcripts.entries()) {
    t.same(payloadErrors('transcript', tr), [], 'payload validates against schemas/transcript.schema.json');
    t.equal(tr.sourceId, 'lobby');
    t.equal(tr.recording, 'meeting.wav', 'names the spool file it came from');
    t.equal(tr.siteId, 'e2e');
    t.ok(tr.text.length > 0);
    t.equal(tr.energy.method, 'estimated');
    t.ok(tr.energy.joules > 0 && tr.carbon.gCO2e > 0);
    const [start, end] = truth.speech[i]!;
    t.ok(Math.abs(tr.startOffsetSec - start) < 0.3 && Math.abs(tr.endOffsetSec - end) < 0.3, `segment ${i} at ${tr.startOffsetSec}-${tr.endOffsetSec} s, truth ${start}-${end}`);
  }
  t.equal(new Set(transcripts.map((x) => x.id)).size, 2, 'ids are unique');
  await waitFor(() => telemetry.some((x) => x.model.state === 'loaded'), 10_000, 'telemetry with the model loaded');
  for (const x of telemetry) t.same(payloadErrors('telemetry', x), [], 'telemetry validates against schemas/telemetry.schema.json');
  t.same([...new Set(telemetry.map((x) => `${x.model.state} ${x.model.id}`))].filter((m) => m !== `loaded ${transcripts[0]!.modelId}` && !/^(unloaded|loading|unloading) null$/.test(m)), [], 'telemetry names the loaded model as transcripts do, and none while none is loaded');

  await waitFor(() => existsSync(join(spool, 'done', 'meeting.wav')), 10_000, 'meeting.wav in done/');
  await waitFor(() => existsSync(join(spool, 'failed', 'broken.wav')), 10_000, 'broken.wav in failed/');
  const reason = readFileSync(join(spool, 'failed', 'broken.wav.reason.txt'), 'utf8');
  t.match(reason, /broken\.wav/, 'the reason names the file');

  const jobs = await runCli(['jobs', 'list', '--json', '--socket', daemon.socket]);
  t.equal(jobs.code, 0, jobs.stderr);
  const status = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(JSON.parse(status.stdout).pid, daemon.child.pid, 'the daemon kept running');

  await subscriber.endAsync(true);
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
