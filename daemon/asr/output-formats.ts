/**
 * Transcript renderings for `earshot transcribe`: CSV (one row per segment) and SubRip cues
 * (words grouped into short lines, https://en.wikipedia.org/wiki/SubRip#Format).
 */
import type { FileTranscript } from './transcribe-file.js';

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(transcripts: readonly FileTranscript[]): string {
  const rows = ['file,start_sec,end_sec,text'];
  for (const t of transcripts) for (const s of t.segments) rows.push([csvField(t.file), s.startSec.toFixed(3), s.endSec.toFixed(3), csvField(s.text)].join(','));
  return rows.join('\n') + '\n';
}

function srtTime(sec: number): string {
  const ms = Math.max(0, Math.round(sec * 1000));
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3600000))}:${pad(Math.floor(ms / 60000) % 60)}:${pad(Math.floor(ms / 1000) % 60)},${pad(ms % 1000, 3)}`;
}

/** A cue ends after this many words or seconds, whichever comes first. */
const CUE_MAX_WORDS = 10;
const CUE_MAX_SEC = 5;

export function toSrt(t: FileTranscript): string {
  const cues: string[] = [];
  const words = t.segments.flatMap((s) => s.words);
  let i = 0;
  while (i < words.length) {
    const start = words[i]!.startSec;
    let j = i;
    while (j + 1 < words.length && j + 1 - i < CUE_MAX_WORDS && words[j + 1]!.endSec - start <= CUE_MAX_SEC) j++;
    const text = words
      .slice(i, j + 1)
      .map((w) => w.word)
      .join(' ');
    cues.push(`${cues.length + 1}\n${srtTime(start)} --> ${srtTime(words[j]!.endSec)}\n${text}\n`);
    i = j + 1;
  }
  return cues.join('\n');
}
