import { errorChain } from '../error-chain.js';

/**
 * Errors a later retry can get past: a full disk or quota, too many open files, no memory.
 * They say nothing about the recording or job that met them, so it is kept for a retry, not
 * failed. The code is looked for along `cause`, as wrappers that add the file name keep it.
 */
const SHORTAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'ENOMEM']);

/**
 * A helper process (the ffmpeg decoder) was stopped by a signal sent to stop it: a service
 * manager or a terminal stopping everything at once. Not the input's fault either.
 */
export const STOPPED_BY_SIGNAL = 'ERR_STOPPED_BY_SIGNAL';

/**
 * The model could not be loaded for a job (its files gone or damaged since the start, or
 * onnxruntime refusing them): the daemon's problem, not the recording's. The job waits, and
 * runs once an operator has mended the model, instead of failing for good.
 */
export const MODEL_UNAVAILABLE = 'ERR_MODEL_UNAVAILABLE';

/**
 * A plugin that plugins.required names did not run on a transcript (failed on it, set aside,
 * disabled): the transcript is held back, not published without it. The job waits and runs
 * again once the plugin runs; its audio is kept.
 */
export const REQUIRED_PLUGIN_MISSING = 'ERR_REQUIRED_PLUGIN_MISSING';

/**
 * A required plugin that runs failed on a transcript of the job (threw, timed out): the
 * transcript is held back as for REQUIRED_PLUGIN_MISSING, and the job tried again, but a few
 * times only (scheduler: MAX_REQUIRED_PLUGIN_FAILURES), since a transcript the plugin always
 * fails on would otherwise come back for ever.
 */
export const REQUIRED_PLUGIN_FAILED = 'ERR_REQUIRED_PLUGIN_FAILED';

const WAITING_CODES = new Set([STOPPED_BY_SIGNAL, MODEL_UNAVAILABLE, REQUIRED_PLUGIN_MISSING, REQUIRED_PLUGIN_FAILED]);

export function transientCode(err: unknown): string | undefined {
  for (const e of errorChain(err, 4)) {
    const code = String((e as NodeJS.ErrnoException).code);
    if (SHORTAGE_CODES.has(code) || WAITING_CODES.has(code)) return code;
  }
  return undefined;
}

export function isTransient(err: unknown): boolean {
  return transientCode(err) !== undefined;
}

/** What a log line says of a transient error: which shortage, or that a helper was stopped. */
export function transientReason(err: unknown): string {
  const code = transientCode(err);
  if (code === STOPPED_BY_SIGNAL) return 'a helper process was stopped by a signal (the service or the box stopping)';
  if (code === MODEL_UNAVAILABLE) return 'the model could not be loaded (see the error; mend model.dir or its files)';
  if (code === REQUIRED_PLUGIN_FAILED) return 'a required plugin failed on its transcript (see the error)';
  if (code === REQUIRED_PLUGIN_MISSING) return 'a required plugin did not run on its transcript (see the error; `earshot plugins list`)';
  return `out of a resource (${code ?? 'unknown'})`;
}
