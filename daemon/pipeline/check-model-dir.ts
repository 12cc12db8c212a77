import { detectModel } from '../asr/models/detect.js';
import { ConfigFileError } from '../config/errors.js';
import { resolveModelDir } from './asr-runtime.js';

/** What is wrong with `model.dir` for this daemon (its files and family; a cheap look, not a load), if anything. */
export function modelDirProblem(dir: string): string | undefined {
  try {
    detectModel(resolveModelDir(dir));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * At the start: `model.dir` must name a model this daemon can read. The model is loaded
 * only when work comes, so without this a mistyped or missing folder started a daemon that
 * looked healthy and failed every job. A config problem, so the daemon exits 78 and systemd
 * does not restart it into the same error.
 */
export function checkModelDir(dir: string): void {
  const problem = modelDirProblem(dir);
  if (problem !== undefined) throw new ConfigFileError(`model.dir: ${problem}`);
}
