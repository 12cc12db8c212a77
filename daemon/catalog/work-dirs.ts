/**
 * The dot-directories model install and remove work in, beside the models in modelsDir:
 * `.staging-NAME-PID-XXXXXX` (a pack being unpacked and checked), the same with `.old` (the
 * model an install replaces, between its two renames) and `.removing-NAME-PID` (a model being
 * deleted). Each carries the pid of the process using it, so a later run can tell what a
 * crashed or killed run left behind from what a running one is still using.
 */
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { isModelName } from './catalog.js';
import { isProcessRunning } from '../process-running.js';

const REPLACED_SUFFIX = '.old';

/** A new, empty staging directory for installing `name`. */
export function makeStagingDir(modelsDir: string, name: string): string {
  return mkdtempSync(join(modelsDir, `.staging-${name}-${process.pid}-`));
}

/** Where an install keeps the model it replaces until the new one is in place. */
export function replacedDir(staging: string): string {
  return `${staging}${REPLACED_SUFFIX}`;
}

/** Where a model is renamed to while it is deleted, so it is never seen half-deleted. */
export function removingDir(modelsDir: string, name: string): string {
  return join(modelsDir, `.removing-${name}-${process.pid}`);
}

interface WorkDir {
  /** The model it was for. */
  name: string;
  /** Undefined for staging directories made before the pid was part of the name. */
  pid: number | undefined;
  /** It holds an installed model that was being replaced. */
  replaced: boolean;
}

export function parseWorkDir(entry: string): WorkDir | undefined {
  const staging = /^\.staging-(.+)-(\d+)-[A-Za-z0-9]{6}(\.old)?$/.exec(entry);
  if (staging) return { name: staging[1]!, pid: Number(staging[2]), replaced: staging[3] !== undefined };
  const legacy = /^\.staging-(.+)-[A-Za-z0-9]{6}(\.old)?$/.exec(entry);
  if (legacy) return { name: legacy[1]!, pid: undefined, replaced: legacy[2] !== undefined };
  const removing = /^\.removing-(.+)-(\d+)$/.exec(entry);
  if (removing) return { name: removing[1]!, pid: Number(removing[2]), replaced: false };
  return undefined;
}

function isRunning(pid: number): boolean {
  return pid === process.pid || isProcessRunning(pid);
}

/** Gives the owner read, write and search on every directory in a tree (some were locked: mode 000, 0500). */
function unlockDirs(path: string): void {
  const st = lstatSync(path);
  if (!st.isDirectory()) return;
  if ((st.mode & 0o700) !== 0o700) chmodSync(path, st.mode | 0o700);
  for (const entry of readdirSync(path)) unlockDirs(join(path, entry));
}

/**
 * Deletes a directory tree that this user owns. Staging trees left by older versions, which
 * unpacked with tar and kept a pack's directory modes, may hold directories without write or
 * search permission (mode 000, 0500), which stop a plain recursive rm for anyone but root.
 */
export function removeTree(path: string): void {
  if (!existsSync(path)) return;
  unlockDirs(path);
  rmSync(path, { recursive: true, force: true });
}

/**
 * Cleans up after installs and removals that did not finish (killed, crashed, power cut):
 * a model that was set aside while being replaced goes back under its name if nothing took
 * its place; every other left-over work directory is deleted. Directories of processes that
 * are still running are left alone.
 */
export function sweepWorkDirs(modelsDir: string, logger: Logger): void {
  for (const entry of readdirSync(modelsDir)) {
    const work = parseWorkDir(entry);
    if (!work || (work.pid !== undefined && isRunning(work.pid))) continue;
    const path = join(modelsDir, entry);
    try {
      const modelDir = join(modelsDir, work.name);
      if (work.replaced && isModelName(work.name) && !existsSync(modelDir)) {
        renameSync(path, modelDir);
        logger.warn('restored a model that an interrupted install had set aside', { name: work.name, dir: modelDir });
        continue;
      }
      removeTree(path);
      logger.info('removed what an interrupted install or remove left behind', { dir: path });
    } catch (err) {
      logger.warn('cannot clean up what an interrupted install or remove left behind; delete it by hand', { dir: path, error: (err as Error).message });
    }
  }
}
