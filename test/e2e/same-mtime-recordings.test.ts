import t from 'tap';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startDaemon, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { dropRecording } from '../helpers/faults.js';
import { freePort } from '../helpers/mosquitto.js';
import { segmentJobId } from '../../daemon/pipeline/capture-service.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';

/**
 * Two recordings of the same length with the same mtime (copied with their times kept, or
 * from a share with coarse timestamps) are different audio. A segment's job id once came
 * from the source, start time and offsets only, so the second file's speech was taken for
 * the first's, found done, and dropped without a word. Found by the descriptor-exhaustion
 * test, whose recordings were dropped within one second.
 */
t.test('segment job ids differ by recording and stay the same for the same one', async (t) => {
  const segment = { sourceId: 'spool', startedAt: '2026-11-25T12:00:00.000Z', startSec: 0.5, endSec: 2.25 };
  const id = (recording?: string) => segmentJobId({ ...segment, ...(recording ? { recording } : {}) } as Parameters<typeof segmentJobId>[0]);
  t.equal(id('a.wav'), id('a.wav'), 'stable for the same recording (a retry after a crash is the same job)');
  t.not(id('a.wav'), id('b.wav'), 'different for another recording');
  t.not(id('a.wav'), id(), 'and for live audio');
});

t.test('two recordings with the same length and mtime both give their transcripts', async (t) => {
  const root = tempDir('earshot-same-mtime-');
  const spool = join(root, 'spool');
  mkdirSync(spool);
  const port = await freePort();
  const daemon = await startDaemon({
    siteId: 'twins',
    mqtt: { url: null, embedded: { host: '127.0.0.1', port }, telemetryIntervalSec: 0 },
    sources: [{ id: 'spool', type: 'spool', dir: spool, settleMs: 200, pollMs: 200 }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  t.teardown(() => watcher.endAsync(true));
  const transcripts: TranscriptPayload[] = [];
  watcher.on('message', (_topic, payload) => transcripts.push(JSON.parse(payload.toString()) as TranscriptPayload));
  await watcher.subscribeAsync('earshot/twins/transcript/#', { qos: 1 });

  const clip = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const mtime = Math.floor(Date.now() / 1000) - 60;
  dropRecording(spool, 'a.wav', clip, mtime);
  dropRecording(spool, 'b.wav', clip, mtime);
  const of = (name: string) => transcripts.filter((tr) => tr.recording === name).length;
  await waitFor(() => of('a.wav') >= 2 && of('b.wav') >= 2, 30_000, `two transcripts of each recording (a ${of('a.wav')}, b ${of('b.wav')})`);
  t.equal(of('a.wav'), 2, 'a.wav: both stretches of speech');
  t.equal(of('b.wav'), 2, 'b.wav: both stretches of speech');
  t.equal(new Set(transcripts.map((tr) => tr.id)).size, 4, 'four different transcripts');
});
