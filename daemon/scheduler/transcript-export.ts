import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson } from './durable-file.js';
import type { DoneRecord } from './job-queue.js';
import { checkFormat } from '../state-format.js';

/**
 * `earshot jobs export`: finished jobs' transcripts with timestamps, as JSON or CSV (one row
 * per segment). Reads `<dataDir>/queue/done` directly (read only), so it works without the
 * daemon. Results are what the ASR engine returned, under `output`: `text` and/or
 * `segments` (or `transcripts`: the MQTT transcript payloads) with `start`/`end`,
 * `startSec`/`endSec` or `startOffsetSec`/`endOffsetSec` seconds and `text`.
 */
export interface ExportedTranscript {
  id: string;
  input: string;
  sourceId?: string;
  /** The recording a spool segment or fleet job is of (its `input` is a copy, gone once done). */
  recording?: string;
  submittedAt: string;
  finishedAt: string;
  text: string;
  segments: Array<{ start: number; end: number; text: string }>;
  energy?: { joules: number; source: string; gCO2e: number };
}

/**
 * `onLeftOut`: told of each record left out: in a format this release cannot read
 * (state-format.ts), or not readable (left empty or cut short by a power cut, a damaged disk).
 */
export async function readTranscripts(queueDir: string, sinceMs = 0, onLeftOut: (err: Error) => void = () => undefined): Promise<ExportedTranscript[]> {
  const dir = join(queueDir, 'done');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: ExportedTranscript[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = join(dir, name);
    const rec = await readJson<DoneRecord<{ output?: unknown; energy?: { joules: number; source: string; gCO2e: number } }>>(file).catch((err: NodeJS.ErrnoException) => {
      // One deleted since the listing (retention) is simply gone.
      if (err.code !== 'ENOENT') onLeftOut(new Error(`${file} cannot be read (${err.message})`));
      return undefined;
    });
    if (!rec) continue;
    try {
      checkFormat(rec, file);
    } catch (err) {
      onLeftOut(err as Error);
      continue;
    }
    if (Date.parse(rec.finishedAt) < sinceMs) continue;
    const output = (rec.result?.output ?? {}) as { text?: unknown; segments?: unknown; transcripts?: unknown };
    const list = Array.isArray(output.segments) ? output.segments : Array.isArray(output.transcripts) ? output.transcripts : [];
    const segments = list.map((s) => {
      const o = (s ?? {}) as Record<string, unknown>;
      return { start: num(o.start ?? o.startSec ?? o.startOffsetSec), end: num(o.end ?? o.endSec ?? o.endOffsetSec), text: typeof o.text === 'string' ? o.text : '' };
    });
    const text = typeof output.text === 'string' ? output.text : segments.map((s) => s.text).join(' ');
    const t: ExportedTranscript = { id: rec.job.id, input: rec.job.input, submittedAt: rec.job.submittedAt, finishedAt: rec.finishedAt, text, segments };
    if (rec.job.sourceId) t.sourceId = rec.job.sourceId;
    if (rec.job.recording !== undefined) t.recording = rec.job.recording;
    const e = rec.result?.energy;
    if (e) t.energy = { joules: e.joules, source: e.source, gCO2e: e.gCO2e };
    out.push(t);
  }
  return out.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt) || a.id.localeCompare(b.id));
}

/**
 * RFC 4180 CSV, one row per segment (a job without segments gets one row with its text).
 * `recording` came later and is the last column, so that scripts reading columns by their
 * place keep working; it is the input itself for a file submitted by path. `cellText` is
 * applied to every value before it is quoted: for a terminal, `oneLine` (a file name or a
 * plugin's text with a newline or an escape sequence in it would start a row, or redraw the
 * screen, of its author's choosing).
 */
export function transcriptsToCsv(items: ExportedTranscript[], cellText: (value: string) => string = (v) => v): string {
  const rows = [['job_id', 'input', 'finished_at', 'start_sec', 'end_sec', 'text', 'joules', 'energy_source', 'gco2e', 'recording']];
  for (const t of items) {
    const e = t.energy ? [t.energy.joules.toFixed(3), t.energy.source, t.energy.gCO2e.toFixed(6)] : ['', '', ''];
    const segs = t.segments.length > 0 ? t.segments : [{ start: 0, end: 0, text: t.text }];
    for (const s of segs) rows.push([t.id, t.input, t.finishedAt, s.start.toFixed(3), s.end.toFixed(3), s.text, ...e, t.recording ?? t.input]);
  }
  return rows.map((r) => r.map((v) => csvCell(cellText(v))).join(',')).join('\r\n') + '\r\n';
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function num(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : 0;
}
