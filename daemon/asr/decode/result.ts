/**
 * Turns decoded token ids and their output frames into text, token and word timestamps.
 * Time of output frame t = t × subsampling × hop (frameShiftSec already includes both).
 */
import type { AsrToken, AsrWord } from '../types.js';
import type { TokenTable } from '../models/tokens.js';
import { decodeByteBpe } from '../models/byte-bpe.js';

export interface DecodedText {
  text: string;
  tokens: AsrToken[];
  words: AsrWord[];
}

export function assembleResult(ids: readonly number[], frames: readonly number[], table: TokenTable, frameShiftSec: number): DecodedText {
  const tokens: AsrToken[] = ids.map((id, i) => ({ token: table.display(id), id, startSec: round(frames[i]! * frameShiftSec) }));
  const words: AsrWord[] = [];
  let current: { pieces: string[]; start: number; lastStart: number } | null = null;
  const close = (endSec: number) => {
    if (!current) return;
    const joined = current.pieces.join('');
    const word = (table.byteLevel ? decodeByteBpe(joined) : joined).replace(/\u2581/g, ' ').trim();
    if (word) words.push({ word, startSec: current.start, endSec: round(Math.max(endSec, current.start)) });
    current = null;
  };
  for (const tok of tokens) {
    // A word starts at a space (BPE `▁` shown as ' ') or, in byte-level vocabularies, at `▁` itself.
    const startsWord = tok.token.startsWith(' ') || tok.token.startsWith('\u2581');
    if (startsWord || !current) {
      close(tok.startSec);
      // A lone separator token (character vocabularies) only ends the previous word.
      if (tok.token.replace(/\u2581/g, '').trim() === '') continue;
      current = { pieces: [], start: tok.startSec, lastStart: tok.startSec };
    }
    current!.pieces.push(tok.token);
    current!.lastStart = tok.startSec;
  }
  if (current) close((current as { lastStart: number }).lastStart + frameShiftSec);
  return { text: table.text(ids), tokens, words };
}

function round(sec: number): number {
  return Math.round(sec * 1000) / 1000;
}
