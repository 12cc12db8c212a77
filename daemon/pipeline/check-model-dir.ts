import { detectModel } from '../asr/models/detect.js';
import { ConfigFileError } from '../config/errors.js';
import { resolveModelDir } from './asr-runtime.js';

/**
 * At the start: `model.dir` must name a model this daemon can read (its files and family; a
 * cheap look, not a load). The model is loaded only when work comes, so without this a
 * mistyped or missing folder started a daemon that looked healthy and failed every job. A
 * config problem, so the daemon exits 78 and systemd does not restart it into the same error.
 */
export function checkModelDir(dir: string): void {
  try {
    detectModel(resolveModelDir(dir));
  } catch (err) {
    throw new ConfigFileError(`model.dir: ${(err as Error).message}`);
  }
}
