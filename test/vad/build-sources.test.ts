import t from 'tap';
import { copyFileSync, existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { SourceSet } from '../../daemon/audio/sources/source-set.js';
import { SpoolWatcher } from '../../daemon/audio/sources/spool-watcher.js';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';
import { buildSources } from '../../daemon/vad/build-sources.js';
import { createDetector } from '../../daemon/vad/create-detector.js';
import type { SpeechSegment } from '../../daemon/vad/types.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';

const wav = join(fixturesDir, 'audio', 'speech-silence-speech.wav');
const truth = JSON.parse(readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.json'), 'utf8')) as { speech: Array<[number, number]> };

t.test('spool source: a WAV becomes segments, then moves to done/; a bad file goes to failed/ with the reason', async (t) => {
  const dir = tempDir();
  copyFileSync(wav, join(dir, 'meeting.wav'));
  writeFileSync(join(dir, 'broken.wav'), 'RIFF\0\0\0\0WAVEjunk');
  const segments: SpeechSegment[] = [];
  const [source] = buildSources([{ id: 'office', type: 'spool', dir, settleMs: 0 }], {
    logger: silentLogger,
    vad: { detector: 'energy' },
    onSegment: async (s) => void segments.push(s),
  });
  const spool = source as SpoolWatcher;
  await spool.start();
  t.teardown(() => spool.stop());
  await spool.scan();
  t.equal(segments.length, 2);
  t.same(segments.map((s) => s.sourceId), ['office', 'office']);
  t.ok(Math.abs(segments[0]!.startSec - truth.speech[0]![0]) < 0.1);
  t.ok(existsSync(join(dir, 'done', 'meeting.wav')));
  t.match(readFileSync(join(dir, 'failed', 'broken.wav.reason.txt'), 'utf8'), /broken\.wav: no "data" chunk found/);
});

t.test('spool source: one Silero detector serves every recording, reset between them, and is freed when the source stops', async (t) => {
  const dir = tempDir();
  for (const name of ['call-1.wav', 'call-2.wav', 'call-3.wav']) copyFileSync(wav, join(dir, name));
  const segments: SpeechSegment[] = [];
  let made = 0;
  let closed = 0;
  const [source] = buildSources([{ id: 'calls', type: 'spool', dir, settleMs: 0 }], {
    logger: silentLogger,
    vad: { detector: 'silero' },
    onSegment: async (s) => void segments.push(s),
    // The real detector, counted: loading Silero's session once per recording was the cost.
    createDetector: async (name, logger) => {
      made++;
      const detector = await createDetector(name, logger);
      const close = detector.close.bind(detector);
      detector.close = async () => {
        closed++;
        await close();
      };
      return detector;
    },
  });
  const spool = source as SpoolWatcher;
  await spool.start();
  t.teardown(() => spool.stop());
  await spool.scan();
  t.equal(made, 1, 'one detector for three recordings');
  const of = (name: string) => segments.filter((s) => s.recording === name).map((s) => [s.startSec, s.endSec]);
  t.equal(of('call-1.wav').length, 2, 'both stretches of speech of the first');
  t.same(of('call-2.wav'), of('call-1.wav'), 'the same audio cut the same way: nothing left over from the recording before');
  t.same(of('call-3.wav'), of('call-1.wav'));
  await spool.stop();
  t.equal(closed, 1, 'freed at stop');
  await spool.start();
  copyFileSync(wav, join(dir, 'call-4.wav'));
  // Finished a while ago: settled at this scan, whatever the clocks' granularity.
  const past = new Date(Date.now() - 5000);
  utimesSync(join(dir, 'call-4.wav'), past, past);
  await spool.scan();
  t.equal(made, 2, 'a new one after a restart');
  t.same(of('call-4.wav'), of('call-1.wav'));
});

t.test('command source: live PCM through VAD, the open segment flushed on stop', async (t) => {
  const segments: SpeechSegment[] = [];
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => lines.push(l) }).logger('sources');
  // The fixture's samples (after its 44-byte header) as a microphone would send them, cut off mid-speech.
  const sources = buildSources(
    [{ id: 'mic', type: 'command', command: ['sh', '-c', `tail -c +45 '${wav}' | head -c 140000; sleep 30`], format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, maxQueuedSegments: 32 }],
    { logger, vad: { detector: 'silero' }, onSegment: async (s) => void segments.push(s) },
  );
  const set = new SourceSet(sources, logger);
  const started = Date.now();
  await set.start();
  t.teardown(() => set.stop());
  // Silero over 4 s of audio takes well under a second alone, and many times that on a loaded CI box.
  const end = Date.now() + 30_000;
  while (segments.length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  t.equal(segments.length, 1, 'the first utterance is cut while the stream runs');
  await set.stop();
  t.equal(segments.length, 2, 'stop() flushes the speech still open');
  t.ok(Math.abs(segments[0]!.startSec - truth.speech[0]![0]) < 0.1);
  t.ok(Math.abs(segments[1]!.startSec - truth.speech[1]![0]) < 0.1);
  t.ok(Math.abs(segments[1]!.endSec - 140000 / 2 / 16000) < 0.01, 'ends where the audio stopped');
  // A wall-clock date of this run. The command sends its 4.4 s at once, faster than real time:
  // its chunks are dated one after the other from the first one's arrival (never overlapping),
  // so the speech may be dated up to the audio's length ahead of the clock, and the first
  // chunk its own length before it arrived. Here the whole test ran in 150 ms once.
  const audioMs = (140000 / 2 / 16000) * 1000;
  const startedAt = Date.parse(segments[0]!.startedAt);
  t.ok(startedAt >= started - audioMs && startedAt <= Date.now() + audioMs, `the first utterance is dated in this run: ${segments[0]!.startedAt}`);
});

t.test('configuration errors name the source', async (t) => {
  const deps = { logger: silentLogger, vad: { detector: 'energy' as const }, onSegment: async () => undefined };
  t.throws(() => buildSources([{ id: 'a/b', type: 'spool', dir: '/tmp' }], deps), /sources\[0\] \("a\/b"\): source id "a\/b" is not allowed/);
  t.throws(() => buildSources([{ id: 's', type: 'socket', format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, maxQueuedSegments: 32 }], deps), /sources\[0\] \("s"\): a socket source needs "path"/);
  t.throws(() => buildSources([], { ...deps, vad: { detector: 'energy', threshold: 3 } }), /threshold must be between 0 and 1/);
});

t.test("socket source: the config's noDataTimeoutSec lets go of a sender that sends nothing", async (t) => {
  const path = join(tempDir(), 'mic.sock');
  const [source] = buildSources([{ id: 'desk', type: 'socket', path, format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, noDataTimeoutSec: 1, maxQueuedSegments: 32 }], {
    logger: silentLogger,
    vad: { detector: 'energy' },
    onSegment: async () => undefined,
  });
  await source!.start();
  t.teardown(() => source!.stop());
  const started = Date.now();
  const stuck = connect({ path });
  stuck.on('error', () => undefined);
  await new Promise((r) => stuck.once('close', r));
  const heldMs = Date.now() - started;
  t.ok(heldMs >= 900 && heldMs < 5000, `disconnected after ${heldMs} ms`);
});

t.test("command source: a command that gives no audio is named as a problem in the source set's status", async (t) => {
  const sources = buildSources([{ id: 'mic', type: 'command', command: ['/nonexistent/arecord'], format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, backoff: { initialMs: 250, maxMs: 1000, resetAfterMs: 30_000 }, maxQueuedSegments: 32 }], {
    logger: silentLogger,
    vad: { detector: 'energy' },
    onSegment: async () => undefined,
  });
  const set = new SourceSet(sources, silentLogger);
  await set.start();
  t.teardown(() => set.stop());
  const end = Date.now() + 5000;
  while (set.status()[0]!.problem === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  t.match(set.status()[0]!.problem, /cannot run \/nonexistent\/arecord: spawn \/nonexistent\/arecord ENOENT/);
});
