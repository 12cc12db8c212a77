import t from 'tap';
import { copyFileSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { detectFileSegments } from '../../daemon/vad/detect-file.js';
import { EnergyDetector } from '../../daemon/vad/energy.js';
import { SileroDetector } from '../../daemon/vad/silero.js';
import { resolveSegmenterSettings } from '../../daemon/vad/sensitivity.js';
import type { SpeechSegment, VoiceDetector } from '../../daemon/vad/types.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';

// Two espeak-ng utterances over pink noise at known offsets (make-fixtures.sh writes both files).
const wav = join(fixturesDir, 'audio', 'speech-silence-speech.wav');
const truth = JSON.parse(readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.json'), 'utf8')) as {
  durationSec: number;
  speech: Array<[number, number]>;
};

const detectors: Array<[string, () => Promise<VoiceDetector>]> = [
  ['silero', () => SileroDetector.load()],
  ['energy', async () => new EnergyDetector()],
];

for (const [name, make] of detectors) {
  t.test(`${name}: speech-silence-speech gives two segments within 100 ms of the truth`, async (t) => {
    const detector = await make();
    t.teardown(() => detector.close());
    const segments: SpeechSegment[] = [];
    const started = Date.UTC(2026, 4, 1, 9, 30, 0);
    const result = await detectFileSegments(wav, {
      sourceId: 'fixture',
      detector,
      settings: resolveSegmenterSettings(),
      startedAtMs: started,
      onSegment: (s) => void segments.push(s),
    });
    t.equal(segments.length, 2, JSON.stringify(segments.map((s) => [s.startSec, s.endSec])));
    segments.forEach((s, i) => {
      const [start, end] = truth.speech[i]!;
      t.ok(Math.abs(s.startSec - start) <= 0.1, `segment ${i} starts at ${s.startSec.toFixed(3)}, truth ${start}`);
      t.ok(Math.abs(s.endSec - end) <= 0.1, `segment ${i} ends at ${s.endSec.toFixed(3)}, truth ${end}`);
      t.equal(s.samples.length, Math.round((s.endSec - s.startSec) * 16000), 'samples match the times');
      t.equal(s.startedAt, new Date(started + s.startSec * 1000).toISOString());
    });
    t.ok(Math.abs(result.durationSec - truth.durationSec) < 0.001);
    const speech = truth.speech.reduce((a, [s, e]) => a + e - s, 0) / truth.durationSec;
    t.ok(result.keptFraction > speech * 0.95 && result.keptFraction < speech + 0.1, `kept ${result.keptFraction.toFixed(3)} vs speech ${speech.toFixed(3)}`);
  });
}

for (const [name, make] of detectors) {
  t.test(`${name}: detection from a sample inside speech cuts from there, and from past the end cuts nothing`, async (t) => {
    const detector = await make();
    t.teardown(() => detector.close());
    const settings = resolveSegmenterSettings();
    // 0.8 s into the first utterance, too late for any detector to hear its onset.
    const from = Math.round((truth.speech[0]![0] + 0.8) * 16000);
    const segments: SpeechSegment[] = [];
    const result = await detectFileSegments(wav, { sourceId: 'fixture', detector, settings, fromSample: from, onSegment: (s) => void segments.push(s) });
    t.equal(segments[0]?.startSec, from / 16000, 'the speech under way there starts the first segment, at that sample: the detector heard the audio before it');
    t.equal(segments.length, 2);
    t.ok(Math.abs(result.durationSec - truth.durationSec) < 0.001, 'the duration is the whole file\'s');

    detector.reset();
    const none: SpeechSegment[] = [];
    const past = await detectFileSegments(wav, { sourceId: 'fixture', detector, settings, fromSample: Math.round(truth.durationSec * 16000) + 16000, onSegment: (s) => void none.push(s) });
    t.same(none, []);
    t.ok(Math.abs(past.durationSec - truth.durationSec) < 0.001);
  });
}

t.test('without a start time, segments are dated by the file: it ended at its last write, so it began one duration earlier, however late it is read', async (t) => {
  const detector = new EnergyDetector();
  t.teardown(() => detector.close());
  const copy = join(tempDir('earshot-detect-time-'), 'recorded.wav');
  copyFileSync(wav, copy);
  const endedAtMs = Date.UTC(2026, 10, 25, 6, 0, 0);
  utimesSync(copy, endedAtMs / 1000, endedAtMs / 1000);
  const segments: SpeechSegment[] = [];
  await detectFileSegments(copy, { sourceId: 'fixture', detector, settings: resolveSegmenterSettings(), onSegment: (s) => void segments.push(s) });
  t.equal(segments.length, 2);
  const beganMs = endedAtMs - truth.durationSec * 1000;
  for (const s of segments) t.equal(s.startedAt, new Date(beganMs + s.startSec * 1000).toISOString(), `segment at ${s.startSec} s`);
});
