import type { SampleWindow } from '../audio/sample-window.js';

/**
 * Sharpens a detector's segment boundaries with the signal's own energy. A model's
 * probability rises a little after a weak onset (an "f" or "th" before the vowel) and decays
 * slowly after the last word; the energy in 10 ms blocks, compared with the noise floor
 * just outside the segment, shows where the sound really began and ended.
 */

const BLOCK = 160; // 10 ms at 16 kHz
/** An onset block must stand this far above the floor before the segment to count as sound. */
const ONSET_DB = 10;
/** A trailing block this close to the floor after the segment is silence. */
const OFFSET_DB = 10;

function blockDb(win: SampleWindow, from: number): number {
  const data = win.data;
  const base = from - win.start;
  let e = 0;
  for (let i = base; i < base + BLOCK; i++) e += data[i]! * data[i]!;
  return 10 * Math.log10(e / BLOCK + 1e-12);
}

/** Lowest block energy in [from, to), or null when no whole block is held there. */
function floorDb(win: SampleWindow, from: number, to: number): number | null {
  let floor: number | null = null;
  for (let s = Math.max(from, win.start); s + BLOCK <= Math.min(to, win.end); s += BLOCK) {
    const db = blockDb(win, s);
    floor = floor === null ? db : Math.min(floor, db);
  }
  return floor;
}

/** Moves `start` back over blocks clearly above the floor measured in the `lookback` before it (at most `maxBack`). */
export function extendOnset(win: SampleWindow, start: number, lookback: number, maxBack: number): number {
  const floor = floorDb(win, start - lookback, start);
  if (floor === null) return start;
  let s = start;
  while (start - s < maxBack && s - BLOCK >= win.start && blockDb(win, s - BLOCK) >= floor + ONSET_DB) s -= BLOCK;
  return s;
}

/**
 * Moves `end` back over blocks that are as quiet as the silence in [end, silenceEnd),
 * keeping at least `minKeep` samples after `start` and trimming at most `maxTrim`.
 */
export function trimOffset(win: SampleWindow, start: number, end: number, silenceEnd: number, minKeep: number, maxTrim: number): number {
  const floor = floorDb(win, end, silenceEnd);
  if (floor === null) return end;
  let e = end;
  while (end - e < maxTrim && e - BLOCK >= Math.max(start + minKeep, win.start) && blockDb(win, e - BLOCK) < floor + OFFSET_DB) e -= BLOCK;
  return e;
}
