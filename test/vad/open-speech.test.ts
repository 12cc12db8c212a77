import t from 'tap';
import { Segmenter, type OpenSpeech } from '../../daemon/vad/segmenter.js';
import { resolveSegmenterSettings } from '../../daemon/vad/sensitivity.js';
import type { SpeechSegment } from '../../daemon/vad/types.js';

const HOP = 160; // 10 ms
const WALL = Date.UTC(2026, 0, 1, 12, 0, 0);

interface Seen {
  segments: SpeechSegment[];
  /** The last view of each open speech before it closed, by id. */
  lastOpen: Map<string, { view: OpenSpeech; samples: Float32Array }>;
  /** Open speech ids in the order they were first seen. */
  ids: string[];
}

/**
 * Drives a segmenter with a probability per 10 ms hop ([probability, ms] runs) and audio
 * whose every sample is its own index (so copies can be checked exactly), and records the
 * open speech after every push.
 */
function run(seg: Segmenter, pattern: Array<[number, number]>, seen: Seen, startSample = 0, wall = WALL): void {
  const probs: number[] = [];
  for (const [p, ms] of pattern) for (let i = 0; i < ms / 10; i++) probs.push(p);
  const chunk = 5;
  for (let h = 0; h < probs.length; h += chunk) {
    const hops = probs.slice(h, h + chunk);
    const audio = new Float32Array(hops.length * HOP).map((_, i) => startSample + h * HOP + i);
    seg.pushAudio(audio, startSample + h * HOP, wall + ((h * HOP) / 16000) * 1000);
    seen.segments.push(...seg.pushDecisions(Float32Array.from(hops)));
    const open = seg.openSpeech();
    if (open) {
      if (!seen.ids.includes(open.id)) seen.ids.push(open.id);
      seen.lastOpen.set(open.id, { view: open, samples: open.copyFrom(0) });
    }
  }
}

const fresh = (): Seen => ({ segments: [], lastOpen: new Map(), ids: [] });

t.test('the open speech has the id, start and samples of the segment that closes it', async (t) => {
  const seg = new Segmenter('mic-1', HOP, resolveSegmenterSettings({ padMs: 100, minSpeechMs: 100, minSilenceMs: 200 }));
  const seen = fresh();
  run(seg, [[0.05, 500], [0.9, 1000], [0.05, 600], [0.9, 700], [0.05, 600]], seen);
  t.equal(seen.segments.length, 2);
  t.same(seen.ids, seen.segments.map((s) => s.speechId), 'each open speech id is the speechId of its segment');
  for (const s of seen.segments) {
    const { view, samples } = seen.lastOpen.get(s.speechId!)!;
    t.equal(view.startSec, s.startSec, 'the open speech starts where the segment does (pre-padding included)');
    t.equal(view.startedAt, s.startedAt);
    t.equal(view.sourceId, 'mic-1');
    // While open it also holds the silence heard before the end was decided; the segment ends earlier.
    const n = Math.min(samples.length, s.samples.length);
    t.same(samples.subarray(0, n), s.samples.subarray(0, n), 'its samples are those of the segment');
    t.ok(samples.length > 0.5 * 16000, 'it holds the speech heard so far');
  }
  t.equal(seen.segments[0]!.startSec, 0.4, 'first segment: 100 ms pre-padding');
  t.equal(seg.openSpeech(), null, 'nothing open in silence');
});

t.test('copyFrom gives only the samples after an offset, and the view tracks new audio', async (t) => {
  const seg = new Segmenter('mic-1', HOP, resolveSegmenterSettings({ padMs: 0, minSpeechMs: 100, minSilenceMs: 200 }));
  const seen = fresh();
  run(seg, [[0.05, 200], [0.9, 500]], seen);
  const open = seg.openSpeech()!;
  t.ok(open, 'speech is open');
  const all = open.copyFrom(0);
  t.equal(all.length, open.length);
  t.same(open.copyFrom(1000), all.subarray(1000), 'the tail from an offset');
  t.equal(open.copyFrom(open.length).length, 0, 'nothing new: nothing copied');
  t.equal(all[0], Math.round(open.startSec * 16000), 'the first sample is the one at startSec');
  run(seg, [[0.9, 300]], seen, 700 * 16);
  const later = seg.openSpeech()!;
  t.equal(later.id, open.id, 'the same speech keeps its id as it grows');
  t.equal(later.length, open.length + 300 * 16);
});

t.test('a split at the maximum length opens a new speech with a new id; each part keeps its own', async (t) => {
  const seg = new Segmenter('mic-1', HOP, resolveSegmenterSettings({ padMs: 0, minSpeechMs: 100, minSilenceMs: 200, maxSegmentSec: 1 }));
  const seen = fresh();
  run(seg, [[0.05, 300], [0.9, 2500], [0.05, 500]], seen);
  t.ok(seen.segments.length >= 2, `${seen.segments.length} parts`);
  t.same(seen.ids, seen.segments.map((s) => s.speechId), 'one id per part, in order');
  t.equal(new Set(seen.ids).size, seen.ids.length, 'ids differ');
});

t.test('a source that starts its sample count again (reconnect) gets new ids for the same positions', async (t) => {
  const seg = new Segmenter('mic-1', HOP, resolveSegmenterSettings({ padMs: 0, minSpeechMs: 100, minSilenceMs: 200 }));
  const seen = fresh();
  const pattern: Array<[number, number]> = [[0.05, 300], [0.9, 500], [0.05, 400]];
  run(seg, pattern, seen);
  seen.segments.push(...seg.end());
  run(seg, pattern, seen, 0, WALL + 60_000);
  seen.segments.push(...seg.end());
  t.equal(seen.segments.length, 2);
  t.equal(seen.segments[0]!.startSec, seen.segments[1]!.startSec, 'same place in the (restarted) timeline');
  t.not(seen.segments[0]!.speechId, seen.segments[1]!.speechId, 'but not the same speech');
});
