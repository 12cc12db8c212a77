export { prng } from './prng.js';

/**
 * A seeded mutation fuzzer's building blocks: a small deterministic PRNG (mulberry32, in
 * prng.ts) and byte-level mutations of the kinds that find parser bugs — bit flips, "interesting"
 * integers written over length fields, truncation, inserted and duplicated runs.
 * A failing case is reproduced from its printed seed.
 */

const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

export function mutate(input: Buffer, rand: () => number, rounds = 1 + Math.floor(rand() * 4)): Buffer {
  let buf = Buffer.from(input);
  const pick = (n: number) => Math.floor(rand() * Math.max(1, n));
  for (let r = 0; r < rounds; r++) {
    switch (pick(7)) {
      case 0: // flip a bit
        if (buf.length) buf[pick(buf.length)]! ^= 1 << pick(8);
        break;
      case 1: // overwrite a 32-bit field with an edge value
        if (buf.length >= 4) buf.writeUInt32LE(INTERESTING_32[pick(INTERESTING_32.length)]!, pick(buf.length - 3));
        break;
      case 2: // truncate
        buf = buf.subarray(0, pick(buf.length + 1));
        break;
      case 3: // insert random bytes
        {
          const at = pick(buf.length + 1);
          const extra = Buffer.from(Array.from({ length: 1 + pick(64) }, () => pick(256)));
          buf = Buffer.concat([buf.subarray(0, at), extra, buf.subarray(at)]);
        }
        break;
      case 4: // duplicate a run
        if (buf.length) {
          const from = pick(buf.length);
          const run = buf.subarray(from, from + 1 + pick(256));
          const at = pick(buf.length + 1);
          buf = Buffer.concat([buf.subarray(0, at), run, buf.subarray(at)]);
        }
        break;
      case 5: // delete a run
        if (buf.length) {
          const from = pick(buf.length);
          buf = Buffer.concat([buf.subarray(0, from), buf.subarray(from + 1 + pick(64))]);
        }
        break;
      default: // random byte
        if (buf.length) buf[pick(buf.length)] = pick(256);
    }
  }
  return buf;
}

/** Runs `fn` on fresh cases until `seconds` pass (at least `minCases`); returns how many ran. */
export async function fuzzFor(seconds: number, minCases: number, fn: (caseSeed: number) => Promise<void> | void, baseSeed = 0x5eed): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  while (n < minCases || Date.now() < end) {
    await fn(baseSeed + n);
    n++;
  }
  return n;
}
