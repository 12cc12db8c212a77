/**
 * Hotword lists on disk, one phrase per line in sherpa-onnx's format: `PHRASE` or
 * `PHRASE :BOOST` (boost per matched token; default 1.5 as in sherpa-onnx). `#` starts a comment.
 */
import { readFileSync } from 'node:fs';
import type { Hotword } from './types.js';

export const DEFAULT_HOTWORD_BOOST = 1.5;

export function parseHotwords(text: string, where: string, defaultBoost = DEFAULT_HOTWORD_BOOST): Hotword[] {
  const out: Hotword[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const m = /^(.*?)\s+:(\S+)$/.exec(line);
    if (!m) {
      out.push({ phrase: line, boost: defaultBoost });
      return;
    }
    const boost = Number(m[2]);
    if (!Number.isFinite(boost) || boost <= 0) throw new Error(`${where}:${i + 1}: boost ${JSON.stringify(m[2])} must be a positive number, e.g. "open the door :2.0"`);
    out.push({ phrase: m[1]!, boost });
  });
  return out;
}

export function readHotwordsFile(path: string, defaultBoost = DEFAULT_HOTWORD_BOOST): Hotword[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read hotwords (${(err as Error).message})`);
  }
  return parseHotwords(text, path, defaultBoost);
}
