/**
 * Models on disk: the installed ones under `<dataDir>/models/<name>` (each with the
 * model.json card install wrote) and the bundled default model. Removal renames the
 * directory aside first so a model is never seen half-deleted.
 */
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readModelCard } from '../asr/models/card.js';
import { checkModelName } from './catalog.js';
import { removeTree, removingDir } from './work-dirs.js';

export interface InstalledModel {
  name: string;
  dir: string;
  family: string | null;
  languages: string[];
  licence: string | null;
  source: string | null;
  /** Bytes on disk of the model directory. */
  sizeBytes: number;
  bundled: boolean;
  /** Set when the card cannot be read: the model will not load until reinstalled. */
  problem?: string;
}

function dirSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}

export function describeModel(dir: string, name: string, bundled: boolean): InstalledModel {
  const base = { name, dir, sizeBytes: dirSize(dir), bundled };
  try {
    const card = readModelCard(dir);
    if (!card) return { ...base, family: null, languages: [], licence: null, source: null, problem: 'no model.json card; reinstall with earshot model install' };
    return { ...base, family: card.family, languages: card.languages, licence: card.licence, source: card.source };
  } catch (err) {
    return { ...base, family: null, languages: [], licence: null, source: null, problem: (err as Error).message };
  }
}

/** Installed models in modelsDir (staging and download directories are skipped). */
export function listInstalled(modelsDir: string): InstalledModel[] {
  if (!existsSync(modelsDir)) return [];
  return readdirSync(modelsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => describeModel(join(modelsDir, e.name), e.name, false))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Removes an installed model; returns its directory. */
export function removeModel(modelsDir: string, name: string): string {
  checkModelName(name, 'remove');
  const dir = join(modelsDir, name);
  if (!existsSync(dir)) {
    const known = listInstalled(modelsDir).map((m) => m.name);
    throw new Error(`${dir}: '${name}' is not installed (installed: ${known.join(', ') || 'none'})`);
  }
  const aside = removingDir(modelsDir, name);
  renameSync(dir, aside);
  removeTree(aside);
  return dir;
}
