/**
 * Byte-level BPE vocabularies (icefall's bbpe recipes): every byte 0–255 is written as one
 * printable character so sentencepiece can work on bytes. Printable ASCII stands for itself;
 * the other bytes take, in order, the Latin Extended-A/B letters U+0100–U+011F (bytes 0–31),
 * U+0120–U+0131, U+0134–U+013E, U+0141–U+0148, U+014A–U+017E and U+0180–U+01A6 (bytes
 * 127–255), skipping letters that Unicode normalisation would fold. This is the mapping of
 * icefall's byte_utils.py that sherpa-onnx's bbpe table encodes.
 */
const RANGES_FOR_HIGH_BYTES: Array<[number, number]> = [
  [0x120, 0x131],
  [0x134, 0x13e],
  [0x141, 0x148],
  [0x14a, 0x17e],
  [0x180, 0x1a6],
];

function buildTable(): Map<string, number> {
  const table = new Map<string, number>();
  for (let b = 0; b < 32; b++) table.set(String.fromCodePoint(0x100 + b), b);
  for (let b = 32; b < 127; b++) table.set(String.fromCodePoint(b), b);
  let byte = 127;
  for (const [from, to] of RANGES_FOR_HIGH_BYTES) for (let cp = from; cp <= to; cp++) table.set(String.fromCodePoint(cp), byte++);
  // sentencepiece's unknown-piece mark reads as a space.
  table.set('\u2047', 32);
  return table;
}

export const BYTE_BPE_TABLE: ReadonlyMap<string, number> = buildTable();

const WORD_START = '\u2581';

/** sherpa-onnx's test: every symbol's UTF-8 bytes (after an optional ▁) are <= 0xC6 and 0xC6 occurs. */
export function isByteBpeVocabulary(symbols: Iterable<string>): boolean {
  let max = 0;
  for (const s of symbols) {
    const body = s.startsWith(WORD_START) ? s.slice(1) : s;
    for (const b of Buffer.from(body, 'utf8')) {
      if (b > 0xc6) return false;
      if (b > max) max = b;
    }
  }
  return max === 0xc6;
}

/** Concatenated byte-level pieces → text: ▁ is a word break, table characters are bytes. */
export function decodeByteBpe(pieces: string): string {
  const bytes: number[] = [];
  for (const ch of pieces) {
    if (ch === WORD_START) {
      const last = bytes[bytes.length - 1];
      if (last !== undefined && last !== 32 && last >= 32 && last < 127) bytes.push(32);
      continue;
    }
    const b = BYTE_BPE_TABLE.get(ch);
    if (b !== undefined) bytes.push(b);
    else bytes.push(...Buffer.from(ch, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
