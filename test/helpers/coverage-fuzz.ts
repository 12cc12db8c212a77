import { Session } from 'node:inspector';
import { mutate, prng } from './mutate.js';

/**
 * A coverage-guided mutation fuzzer that needs no native addon. Jazzer.js, the usual
 * choice, does not load here (its 4.x prebuilt addon needs glibc 2.38, Debian 12 has 2.36,
 * and older releases download their binary from GitHub at install), so the feedback comes
 * from V8 itself: block coverage with hit counts (the inspector's precise coverage, the
 * same data `c8` reports), taken after every case. An input that reaches a block, or a
 * hit-count bucket of a block, that no earlier input reached joins the corpus and is
 * mutated further, as in libFuzzer and AFL. Only scripts that `cover` accepts steer it, so
 * the fuzzer's and the test's own code do not.
 */
export interface GuidedFuzzOptions {
  /** Keep going until this many seconds pass (and at least `minCases` ran). */
  seconds: number;
  minCases: number;
  seeds: Buffer[];
  /** Script URLs whose coverage counts, e.g. `(url) => url.includes('/daemon/audio/')`. */
  cover: (url: string) => boolean;
  /** Byte strings the format is made of (chunk ids, JSON keys), inserted and written over. */
  dictionary?: string[];
  /** Inputs are cut to this many bytes. */
  maxBytes?: number;
  baseSeed?: number;
  /** false: mutate only the seeds, never what coverage found (the unguided baseline). */
  guided?: boolean;
}

export interface GuidedFuzzResult {
  cases: number;
  /** The seeds and every input that reached something new, in the order found. */
  corpus: Buffer[];
  /** Distinct (block, hit-count bucket) pairs seen. */
  features: number;
  /** Distinct blocks that ran at least once. */
  blocks: number;
  /** Inputs on which the target threw (the first few): the target throws only on a finding. */
  crashes: Array<{ input: Buffer; error: string }>;
}

const MAX_CRASHES = 5;

/** AFL's hit-count buckets: 1, 2, 3, 4–7, 8–15, 16–31, 32–127, 128+. */
function bucket(count: number): number {
  if (count <= 3) return count;
  if (count < 8) return 4;
  if (count < 16) return 5;
  if (count < 32) return 6;
  return count < 128 ? 7 : 8;
}

interface V8Range {
  startOffset: number;
  endOffset: number;
  count: number;
}

interface V8Script {
  scriptId: string;
  url: string;
  functions: Array<{ ranges: V8Range[] }>;
}

/**
 * The process's inspector session with precise block coverage, started when this module is
 * first imported and left on. V8 gives a function block counters when it is compiled with
 * coverage on: functions that ran before (module start-up code of targets imported
 * earlier) report only whole-function counts, so import this module before the targets.
 */
const session = new Session();
session.connect();
post(session, 'Profiler.enable');
post(session, 'Profiler.startPreciseCoverage', { callCount: true, detailed: true });

function takeCoverage(): V8Script[] {
  return (post(session, 'Profiler.takePreciseCoverage') as { result: V8Script[] }).result;
}

/** An in-process inspector session answers synchronously; the callback has run on return. */
function post(s: Session, method: string, params?: object): unknown {
  let error: Error | null = null;
  let answer: unknown;
  s.post(method, params, (err, res) => {
    error = err;
    answer = res;
  });
  if (error) throw error;
  return answer;
}

/**
 * The blocks of the covered scripts that ran since the last take (each take resets V8's
 * counts). V8 reports a function's blocks as nested ranges but leaves out a block whose
 * count equals its enclosing range's, so a block that ran is often not in the report at
 * all. Every block ever reported is remembered per function, and its count in a take is
 * that of the innermost range containing it; a function missing from a take ran 0 times.
 */
class BlockCoverage {
  /** url:functionStart → the blocks (start:end) seen in that function. */
  private readonly known = new Map<string, Map<string, [number, number]>>();

  constructor(private readonly cover: (url: string) => boolean) {
    takeCoverage(); // drop what ran before the first case
  }

  /** The (block, bucket) keys of the blocks that ran. */
  take(): string[] {
    const keys: string[] = [];
    for (const script of takeCoverage()) {
      if (!this.cover(script.url)) continue;
      for (const fn of script.functions) {
        const root = fn.ranges[0];
        if (!root || root.count === 0) continue;
        const id = `${script.url}:${root.startOffset}`;
        let blocks = this.known.get(id);
        if (!blocks) this.known.set(id, (blocks = new Map()));
        for (const r of fn.ranges) blocks.set(`${r.startOffset}:${r.endOffset}`, [r.startOffset, r.endOffset]);
        for (const [block, [start, end]] of blocks) {
          const count = innermost(fn.ranges, start, end).count;
          if (count > 0) keys.push(`${id}:${block}:${bucket(count)}`);
        }
      }
    }
    return keys;
  }
}

/** The smallest range that holds [start, end); V8's ranges nest, the first holds them all. */
function innermost(ranges: readonly V8Range[], start: number, end: number): V8Range {
  let best = ranges[0]!;
  for (const r of ranges) {
    if (r.startOffset <= start && end <= r.endOffset && r.endOffset - r.startOffset < best.endOffset - best.startOffset) best = r;
  }
  return best;
}

export async function fuzzGuided(options: GuidedFuzzOptions, target: (input: Buffer) => unknown): Promise<GuidedFuzzResult> {
  const rand = prng(options.baseSeed ?? 0x5eed);
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const dictionary = (options.dictionary ?? []).map((w) => Buffer.from(w, 'latin1'));
  const guided = options.guided ?? true;
  const coverage = new BlockCoverage(options.cover);
  const features = new Set<string>();
  const blocks = new Set<string>();
  const corpus: Buffer[] = [];
  const pick = (n: number) => Math.floor(rand() * n);

  const crashes: GuidedFuzzResult['crashes'] = [];
  const run = async (input: Buffer): Promise<boolean> => {
    try {
      await target(input);
    } catch (err) {
      // A throw is a finding; keep the first few inputs to reproduce, and carry on.
      if (crashes.length < MAX_CRASHES) crashes.push({ input, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
    let fresh = false;
    for (const key of coverage.take()) {
      if (features.has(key)) continue;
      features.add(key);
      blocks.add(key.slice(0, key.lastIndexOf(':')));
      fresh = true;
    }
    return fresh;
  };

  const end = Date.now() + options.seconds * 1000;
  let cases = 0;
  try {
    for (const seed of options.seeds) {
      const input = seed.subarray(0, maxBytes);
      await run(input);
      corpus.push(input);
      cases++;
    }
    const pool = () => (guided ? corpus : corpus.slice(0, options.seeds.length));
    while (cases < options.minCases || Date.now() < end) {
      const from = pool();
      let input = mutate(from[pick(from.length)]!, rand);
      const extra = pick(4);
      if (extra === 0 && dictionary.length) input = withWord(input, dictionary[pick(dictionary.length)]!, pick);
      else if (extra === 1 && from.length > 1) input = splice(input, from[pick(from.length)]!, pick);
      input = input.subarray(0, maxBytes);
      if (await run(input)) corpus.push(input);
      cases++;
    }
  } finally {
    coverage.take(); // leave nothing counted for the next run
  }
  return { cases, corpus, features: features.size, blocks: blocks.size, crashes };
}

/** Inserts a dictionary word, or writes it over the bytes at a random place. */
function withWord(input: Buffer, word: Buffer, pick: (n: number) => number): Buffer {
  const at = pick(input.length + 1);
  if (pick(2) === 0) return Buffer.concat([input.subarray(0, at), word, input.subarray(at)]);
  const out = Buffer.from(input);
  word.copy(out, Math.min(at, Math.max(0, out.length - word.length)));
  return out;
}

/** The head of one input joined to the tail of another (libFuzzer's crossover). */
function splice(a: Buffer, b: Buffer, pick: (n: number) => number): Buffer {
  return Buffer.concat([a.subarray(0, pick(a.length + 1)), b.subarray(pick(b.length + 1))]);
}

/**
 * The fewest inputs (greedy set cover, smallest first on ties) that together reach every
 * block the given inputs reach: what is worth keeping in the repository's corpus.
 */
export async function minimizeCorpus(inputs: readonly Buffer[], cover: (url: string) => boolean, target: (input: Buffer) => unknown): Promise<Buffer[]> {
  const coverage = new BlockCoverage(cover);
  const runQuietly = async (input: Buffer) => {
    try {
      await target(input);
    } catch {
      // a crashing input is reported by the run that found it; keep its coverage anyway
    }
  };
  // A block is known only once V8 has reported it for some input: one pass learns them all,
  // so that the second pass measures every input against the same set.
  for (const input of inputs) {
    await runQuietly(input);
    coverage.take();
  }
  const reach: Array<{ input: Buffer; blocks: Set<string> }> = [];
  for (const input of inputs) {
    await runQuietly(input);
    reach.push({ input, blocks: new Set(coverage.take().map((k) => k.slice(0, k.lastIndexOf(':')))) });
  }
  const uncovered = new Set(reach.flatMap((r) => [...r.blocks]));
  const kept: Buffer[] = [];
  while (uncovered.size > 0) {
    let best = reach[0]!;
    let gain = -1;
    for (const r of reach) {
      let g = 0;
      for (const b of r.blocks) if (uncovered.has(b)) g++;
      if (g > gain || (g === gain && r.input.length < best.input.length)) {
        best = r;
        gain = g;
      }
    }
    if (gain <= 0) break;
    for (const b of best.blocks) uncovered.delete(b);
    kept.push(best.input);
  }
  return kept;
}
