import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { MODEL_SAMPLE_RATE } from '../../daemon/audio/types.js';
import { encodeFloatWav } from '../../daemon/audio/wav-writer.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';

/**
 * Two file jobs at once (scheduler.maxConcurrency 2) are cut as each would be alone. The
 * VAD's state (the energy detector's noise floor and frame window, Silero's LSTM) belongs
 * to one recording: shared, the jobs' audio mixed in it and each job's start reset the
 * other's. Cuts then depended on how the two reads interleaved, which also broke resuming:
 * a run after a crash cuts again from the last resume point and must find the cut, and so
 * the ids, that the crashed run published.
 */

const COPIES = 8;

t.test('two recordings transcribed at once are cut as each is alone', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const dir = tempDir('earshot-e2e-concurrent-');
  const one = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  /** `COPIES` × the fixture after `leadSec` of silence: two segments a copy. */
  const recording = (name: string, leadSec: number): string => {
    const lead = Math.round(leadSec * MODEL_SAMPLE_RATE);
    const audio = new Float32Array(lead + one.length * COPIES);
    for (let k = 0; k < COPIES; k++) audio.set(one, lead + k * one.length);
    const path = join(dir, name);
    writeFileSync(path, encodeFloatWav(audio, MODEL_SAMPLE_RATE));
    return path;
  };
  const a = recording('a.wav', 0);
  const b = recording('b.wav', 1.3);
  const base = spoolPipelineConfig({ siteId: 'pair', spool: tempDir('earshot-e2e-concurrent-spool-'), brokerUrl: broker.url, dataDir: join(dir, 'data') });
  const daemon = await startDaemon({ ...base, scheduler: { tickMs: 100, maxConcurrency: 2 } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });

  const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.teardown(() => subscriber.end(true));
  const received: TranscriptPayload[] = [];
  subscriber.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as TranscriptPayload));
  await subscriber.subscribeAsync('earshot/pair/transcript/#', { qos: 1 });

  const submit = async (...paths: string[]): Promise<string[]> => {
    const r = await runCli(['jobs', 'submit', ...paths, '--json', '--socket', daemon.socket]);
    t.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { submitted: Array<{ id: string }> }).submitted.map((s) => s.id);
  };
  const cuts = (jobId: string): string[] => received.filter((r) => r.jobId === jobId).map((r) => `${r.startOffsetSec}-${r.endOffsetSec}`).sort();
  const done = (jobId: string): boolean => cuts(jobId).length >= COPIES * 2;

  // Alone, one after the other: how each recording is cut.
  const [aloneA = ''] = await submit(a);
  await waitFor(() => done(aloneA), 60_000, 'a.wav alone');
  const [aloneB = ''] = await submit(b);
  await waitFor(() => done(aloneB), 60_000, 'b.wav alone');

  // Then both at once, a few times (each pair as copies under new names, so new jobs).
  for (let round = 0; round < 3; round++) {
    const pairA = join(dir, `a-${round}.wav`);
    const pairB = join(dir, `b-${round}.wav`);
    writeFileSync(pairA, encodeFloatWav(await decodeAll(a), MODEL_SAMPLE_RATE));
    writeFileSync(pairB, encodeFloatWav(await decodeAll(b), MODEL_SAMPLE_RATE));
    const [idA = '', idB = ''] = await submit(pairA, pairB);
    await waitFor(() => done(idA) && done(idB), 60_000, `round ${round}: both jobs`);
    t.same(cuts(idA), cuts(aloneA), `round ${round}: a.wav cut as alone`);
    t.same(cuts(idB), cuts(aloneB), `round ${round}: b.wav cut as alone`);
  }
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
});
