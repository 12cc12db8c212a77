/**
 * models/catalog.json: the model packs `earshot model install NAME` knows how to fetch.
 *
 * { "version": 1, "packs": [ { "name", "family", "languages", "sizeBytes", "url",
 *   "archive", "sha256", "licence", "description" } ] }
 *
 * `family` may name a family this engine cannot run (one newer than this build): such packs
 * are listed so operators see them, and `install` refuses them with a clear message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { MODEL_FAMILIES, type ModelFamily } from '../asr/types.js';

export interface CatalogPack {
  name: string;
  family: string;
  languages: string[];
  /** Archive size in bytes, for the progress bar when a server sends no Content-Length. */
  sizeBytes: number;
  url: string;
  /** File name of the archive (the last path segment of url). */
  archive: string;
  sha256: string;
  licence: string;
  description: string;
}

export interface Catalog {
  version: number;
  packs: CatalogPack[];
}

/** The catalog that ships with earshot. */
export const DEFAULT_CATALOG_PATH = join(packageRoot, 'models', 'catalog.json');

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Whether this engine can load a pack of `family`. */
export function isRunnableFamily(family: string): family is ModelFamily {
  return (MODEL_FAMILIES as readonly string[]).includes(family);
}

/** Whether `name` is a safe directory name for an installed model: no separators, no dot-dot. */
export function isModelName(name: string): boolean {
  return NAME.test(name) && !name.includes('..');
}

/** `name`, checked to be a safe directory name for an installed model (see isModelName). */
export function checkModelName(name: string, where: string): string {
  if (!isModelName(name)) {
    throw new Error(`${where}: model name '${name}' must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return name;
}

/**
 * The archive is saved under this name in the models directory (and an old copy deleted
 * first), so it must be a plain file name: a catalog must not reach outside that directory.
 */
const ARCHIVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

function isPlainArchiveName(archive: string): boolean {
  return ARCHIVE_NAME.test(archive) && !archive.includes('..');
}

function fail(path: string, what: string): never {
  throw new Error(`${path}: ${what}`);
}

export function parseCatalog(value: unknown, path: string): Catalog {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'expected a JSON object with "version" and "packs"');
  const v = value as Record<string, unknown>;
  if (v.version !== 1) fail(path, `"version" is ${JSON.stringify(v.version)}; this earshot reads catalog version 1`);
  if (!Array.isArray(v.packs)) fail(path, '"packs" must be an array');
  const seen = new Set<string>();
  const packs = v.packs.map((p: unknown, i: number): CatalogPack => {
    const at = `${path}: packs[${i}]`;
    if (typeof p !== 'object' || p === null) fail(path, `packs[${i}] must be an object`);
    const e = p as Record<string, unknown>;
    const str = (k: string): string => {
      if (typeof e[k] !== 'string' || e[k] === '') fail(path, `packs[${i}].${k} must be a non-empty string`);
      return e[k] as string;
    };
    const name = checkModelName(str('name'), at);
    if (seen.has(name)) fail(path, `packs[${i}].name '${name}' appears twice`);
    seen.add(name);
    const sha256 = str('sha256');
    if (!/^[0-9a-f]{64}$/.test(sha256)) fail(path, `packs[${i}].sha256 must be 64 lowercase hex digits`);
    const url = str('url');
    if (!/^https?:\/\//.test(url)) fail(path, `packs[${i}].url must be an http(s) URL`);
    if (!Array.isArray(e.languages) || !e.languages.every((l) => typeof l === 'string')) fail(path, `packs[${i}].languages must be an array of language codes`);
    if (typeof e.sizeBytes !== 'number' || !(e.sizeBytes > 0)) fail(path, `packs[${i}].sizeBytes must be a positive number`);
    const archive = str('archive');
    if (!isPlainArchiveName(archive)) {
      fail(path, `packs[${i}] ('${name}').archive ${JSON.stringify(archive)} must be a plain file name (1-200 letters, digits, '.', '_', '+' or '-', starting with a letter or digit, no '..'), such as the last part of its url`);
    }
    return {
      name,
      family: str('family'),
      languages: e.languages as string[],
      sizeBytes: e.sizeBytes,
      url,
      archive,
      sha256,
      licence: str('licence'),
      description: str('description'),
    };
  });
  return { version: 1, packs };
}

export function loadCatalog(path: string = DEFAULT_CATALOG_PATH): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    fail(path, `cannot read the model catalog (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass --catalog FILE`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    fail(path, `not valid JSON (${(err as Error).message})`);
  }
  return parseCatalog(parsed, path);
}

export function findPack(catalog: Catalog, name: string): CatalogPack | undefined {
  return catalog.packs.find((p) => p.name === name);
}

/** The catalog pack whose archive file name is `archiveName`, if any. */
export function findPackByArchive(catalog: Catalog, archiveName: string): CatalogPack | undefined {
  return catalog.packs.find((p) => p.archive === archiveName);
}
