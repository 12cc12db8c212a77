import t from 'tap';
import { Segmenter } from '../../daemon/vad/segmenter.js';
import { resolveSegmenterSettings } from '../../daemon/vad/sensitivity.js';
import type { SpeechSegment } from '../../daemon/vad/types.js';

const HOP = 160; // 10 ms

/**
 * Drives the segmenter with a probability per 10 ms hop (from a pattern of [probability,
 * milliseconds] runs) and matching audio: loud where the probability is high.
 */
function run(pattern: Array<[number, number]>, settings = {}, chunkHops = 7, startSample = 0): SpeechSegment[] {
  const seg = new Segmenter('mic-1', HOP, resolveSegmenterSettings({ padMs: 0, minSpeechMs: 100, minSilenceMs: 200, ...settings }));
  const probs: number[] = [];
  for (const [p, ms] of pattern) for (let i = 0; i < ms / 10; i++) probs.push(p);
  const out: SpeechSegment[] = [];
  const wall = Date.UTC(2026, 0, 1, 12, 0, 0);
  for (let h = 0; h < probs.length; h += chunkHops) {
    const hops = probs.slice(h, h + chunkHops);
    const audio = new Float32Array(hops.length * HOP);
    hops.forEach((p, i) => audio.fill(p, i * HOP, (i + 1) * HOP));
    seg.pushAudio(audio, startSample + h * HOP, wall + ((h * HOP) / 16000) * 1000);
    out.push(...seg.pushDecisions(Float32Array.from(hops)));
  }
  out.push(...seg.end());
  return out;
}

const spans = (segs: SpeechSegment[]) => segs.map((s) => [Number(s.startSec.toFixed(3)), Number(s.endSec.toFixed(3))]);

t.test('speech, pause, speech: two segments at exact times with their samples', async (t) => {
  const segs = run([[0.05, 500], [0.9, 1000], [0.05, 600], [0.9, 700], [0.05, 400]]);
  t.same(spans(segs), [[0.5, 1.5], [2.1, 2.8]]);
  t.equal(segs[0]!.samples.length, 16000);
  t.equal(segs[0]!.samples[0], Math.fround(0.9), 'the samples are the speech audio');
  t.equal(segs[0]!.startedAt, '2026-01-01T12:00:00.500Z');
  t.equal(segs[1]!.startedAt, '2026-01-01T12:00:02.100Z');
  t.equal(segs[0]!.sourceId, 'mic-1');
  t.equal(segs[0]!.sampleRate, 16000);
});

t.test('the source timeline offset carries into the timestamps', async (t) => {
  const segs = run([[0.05, 500], [0.9, 1000], [0.05, 500]], {}, 7, 16000 * 3600);
  t.same(spans(segs), [[3600.5, 3601.5]]);
});

t.test('short pauses stay inside; short blips are dropped; hysteresis holds', async (t) => {
  t.same(spans(run([[0, 300], [0.9, 400], [0.0, 150], [0.9, 400], [0, 300]])), [[0.3, 1.25]], 'a 150 ms pause < minSilence');
  t.same(spans(run([[0, 300], [0.9, 50], [0, 500]])), [], '50 ms < minSpeech');
  t.same(spans(run([[0, 300], [0.9, 300], [0.4, 400], [0.9, 300], [0, 300]])), [[0.3, 1.3]], '0.4 is above threshold - 0.15');
  t.same(spans(run([[0, 300], [0.9, 500], [0.4, 300], [0.1, 500]])), [[0.3, 0.8]], 'a slowly decaying probability does not stretch the end');
});

t.test('sensitivity levels and raw thresholds move the decision', async (t) => {
  const quiet: Array<[number, number]> = [[0, 300], [0.45, 500], [0, 300]];
  t.same(spans(run(quiet, { sensitivity: 'medium' })), []);
  t.same(spans(run(quiet, { sensitivity: 'high' })), [[0.3, 0.8]]);
  t.same(spans(run([[0, 300], [0.6, 500], [0, 300]], { sensitivity: 'low' })), []);
  t.same(spans(run(quiet, { threshold: 0.4 })), [[0.3, 0.8]]);
  t.throws(() => resolveSegmenterSettings({ threshold: 1.5 }), /threshold must be between 0 and 1/);
});

t.test('padding extends both sides, never before 0, never over the previous segment', async (t) => {
  const segs = run([[0.9, 300], [0, 300], [0.9, 300], [0, 1000]], { padMs: 200 });
  t.same(spans(segs), [[0, 0.5], [0.5, 1.1]]);
});

t.test('a long segment is split at its quietest point, within the maximum length', async (t) => {
  // 25 s of speech with one dip (probability still high, audio quiet) at 14.0-14.1 s.
  const segs = run([[0, 1000], [0.9, 13000], [0.6, 100], [0.9, 11900], [0, 1000]], { maxSegmentSec: 20 });
  t.same(spans(segs), [[1, 14.05], [14.05, 26]]);
  for (const s of segs) t.ok(s.endSec - s.startSec <= 20);
  const long = run([[0.9, 65000]], { maxSegmentSec: 10 });
  t.ok(long.length >= 7, `${long.length} pieces`);
  t.equal(long[0]!.startSec, 0);
  t.equal(long[long.length - 1]!.endSec, 65);
  for (let i = 1; i < long.length; i++) t.equal(long[i]!.startSec, long[i - 1]!.endSec, 'pieces are contiguous');
});

t.test('speech running into the end of the stream is closed there', async (t) => {
  t.same(spans(run([[0, 500], [0.9, 700]])), [[0.5, 1.2]]);
});
