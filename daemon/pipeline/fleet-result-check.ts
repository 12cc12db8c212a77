import type { JobResultPayload } from '../mqtt/payloads/job.js';

/** Longest error text from a taker that is kept; the rest is cut, saying so. */
export const MAX_TAKER_ERROR_CHARS = 2000;

/**
 * What the offering box makes of a taker's result before it records it. The group key says
 * only that a member of the group sent it, not that the member is sound: the payload's
 * schema leaves `result` open, and `earshot jobs offers` reads `text` as a string and
 * prints `error` to the operator's terminal. So an `ok` result is kept only when it has the
 * shape a transcription result has (else the job ends failed, saying what was wrong and
 * who sent it), and an error's text is kept printable (a terminal runs the escape
 * sequences it is sent) and bounded.
 */
export function checkTakerResult(done: JobResultPayload): JobResultPayload {
  if (done.status === 'error') return { ...done, error: printable(done.error, MAX_TAKER_ERROR_CHARS) };
  const problem = transcriptionResultProblem(done.result);
  if (problem === undefined) return done;
  const { result: _dropped, ...header } = done;
  const error = `the result from ${done.takenBy} is not a transcription result (${problem}); submit the file again, and check that box's earshot version`;
  return { ...header, status: 'error', error };
}

/** Why `result` is not a FleetTranscribeResult as this box reads it; undefined when it is. */
export function transcriptionResultProblem(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return `result is ${describe(result)}, not an object`;
  const r = result as Record<string, unknown>;
  if (typeof r.text !== 'string') return `result.text is ${describe(r.text)}, not a string`;
  for (const key of ['localJobId', 'takenBy'] as const) {
    if (r[key] !== undefined && typeof r[key] !== 'string') return `result.${key} is ${describe(r[key])}, not a string`;
  }
  for (const key of ['audioSec', 'speechSec', 'processingMs', 'joules'] as const) {
    if (r[key] !== undefined && !finite(r[key])) return `result.${key} is ${describe(r[key])}, not a number`;
  }
  if (r.transcripts === undefined) return undefined;
  if (!Array.isArray(r.transcripts)) return `result.transcripts is ${describe(r.transcripts)}, not an array`;
  for (const [i, t] of r.transcripts.entries()) {
    const s = (typeof t === 'object' && t !== null ? t : {}) as Record<string, unknown>;
    if (typeof s.id !== 'string' || typeof s.text !== 'string' || !finite(s.startOffsetSec) || !finite(s.endOffsetSec)) {
      return `result.transcripts[${i}] is not {id, text, startOffsetSec, endOffsetSec}`;
    }
  }
  return undefined;
}

/** `text` without control characters (each shown as its escape), cut to `max` characters. */
export function printable(text: string, max: number): string {
  const shown = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return shown.length <= max ? shown : `${shown.slice(0, max)}… (${shown.length - max} more characters cut)`;
}

function finite(x: unknown): boolean {
  return typeof x === 'number' && Number.isFinite(x);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}
