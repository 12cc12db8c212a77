/**
 * model.json: the card `earshot model install` writes next to a model's files.
 *
 * {
 *   "name": "earshot-en-tiny", "family": "nemo-ctc", "languages": ["en"], "sampleRate": 16000,
 *   "files": [{ "path": "model.onnx", "sha256": "…" }, { "path": "tokens.txt", "sha256": "…" }],
 *   "licence": "Apache-2.0", "source": "https://…"
 * }
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_FAMILIES, type ModelFamily } from '../types.js';

export interface ModelCardFile {
  path: string;
  sha256: string;
}

export interface ModelCard {
  name: string;
  family: ModelFamily;
  languages: string[];
  sampleRate: number;
  files: ModelCardFile[];
  licence: string;
  source: string;
}

export const MODEL_CARD_FILE = 'model.json';

function fail(path: string, what: string): never {
  throw new Error(`${path}: ${what}`);
}

/** Validates a parsed card; `path` is only used in messages. */
export function parseModelCard(value: unknown, path: string): ModelCard {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'expected a JSON object');
  const v = value as Record<string, unknown>;
  const str = (k: string): string => {
    if (typeof v[k] !== 'string' || v[k] === '') fail(path, `"${k}" must be a non-empty string`);
    return v[k] as string;
  };
  const family = str('family');
  if (!(MODEL_FAMILIES as readonly string[]).includes(family)) {
    fail(path, `"family" is '${family}'; supported families: ${MODEL_FAMILIES.join(', ')}`);
  }
  if (!Array.isArray(v.languages) || !v.languages.every((l) => typeof l === 'string')) fail(path, '"languages" must be an array of language codes, e.g. ["en"]');
  if (typeof v.sampleRate !== 'number' || !(v.sampleRate > 0)) fail(path, '"sampleRate" must be a positive number, e.g. 16000');
  if (!Array.isArray(v.files) || v.files.length === 0) fail(path, '"files" must list the model files with their sha256');
  const files = v.files.map((f: unknown, i: number) => {
    const e = f as Record<string, unknown> | null;
    if (!e || typeof e.path !== 'string' || e.path.includes('..') || e.path.startsWith('/')) fail(path, `files[${i}].path must be a relative path inside the model directory`);
    if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) fail(path, `files[${i}].sha256 must be 64 lowercase hex digits`);
    return { path: e.path, sha256: e.sha256 };
  });
  return {
    name: str('name'),
    family: family as ModelFamily,
    languages: v.languages as string[],
    sampleRate: v.sampleRate,
    files,
    licence: str('licence'),
    source: str('source'),
  };
}

/** The card of `dir`, or null when the directory has none (a model unpacked by hand). */
export function readModelCard(dir: string): ModelCard | null {
  const path = join(dir, MODEL_CARD_FILE);
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    fail(path, `not valid JSON (${(err as Error).message})`);
  }
  return parseModelCard(parsed, path);
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Checks every file the card lists; throws naming the first missing or altered file. */
export async function verifyModelFiles(dir: string, card: ModelCard): Promise<void> {
  for (const f of card.files) {
    const path = join(dir, f.path);
    if (!existsSync(path)) throw new Error(`${path}: listed in ${MODEL_CARD_FILE} but missing; reinstall the model (earshot model install)`);
    const actual = await sha256File(path);
    if (actual !== f.sha256) {
      throw new Error(`${path}: sha256 ${actual} does not match ${MODEL_CARD_FILE} (${f.sha256}); the file is corrupt or was replaced, reinstall the model`);
    }
  }
}
