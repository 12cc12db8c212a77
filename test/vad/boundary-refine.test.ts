import t from 'tap';
import { SampleWindow } from '../../daemon/audio/sample-window.js';
import { extendOnset, trimOffset } from '../../daemon/vad/boundary-refine.js';

/** Deterministic noise at a given RMS-ish amplitude. */
function noise(n: number, amp: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * amp;
  }
  return out;
}

/** 500 ms floor, 80 ms weak onset (+20 dB), 400 ms loud vowel, 100 ms weak tail, 500 ms floor. */
function utterance(): SampleWindow {
  const w = new SampleWindow(16000);
  w.append(noise(8000, 0.001, 1));
  w.append(noise(1280, 0.01, 2));
  w.append(noise(6400, 0.3, 3));
  w.append(noise(1600, 0.01, 4));
  w.append(noise(8000, 0.001, 5));
  return w;
}

t.test('a weak onset before the detected start is taken in', async (t) => {
  const w = utterance();
  // The detector fired at the vowel (sample 9280); the sound began at 8000.
  t.equal(extendOnset(w, 9280, 4800, 3200), 8000);
  t.equal(extendOnset(w, 9280, 4800, 640), 8640, 'never further than maxBack');
  t.equal(extendOnset(w, 5000, 4800, 3200), 5000, 'inside the floor nothing moves');
});

t.test('a trailing stretch at the noise floor is trimmed, a weak tail kept', async (t) => {
  const w = utterance();
  // Speech ends at 17280; the detector's probability decayed until 20000.
  t.equal(trimOffset(w, 8000, 20000, 25280, 4000, 6400), 17280);
  t.equal(trimOffset(w, 8000, 20000, 25280, 4000, 1600), 18400, 'never more than maxTrim');
  t.equal(trimOffset(w, 8000, 20000, 25280, 11800, 6400), 19840, 'keeps minKeep after the start');
  t.equal(trimOffset(w, 8000, 20000, 20000, 4000, 6400), 20000, 'no silence measured, no trim');
});
