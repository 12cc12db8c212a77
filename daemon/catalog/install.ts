/**
 * `earshot model install`: a catalog name (downloaded, resumable, sha256-checked) or a local
 * archive (offline). The pack is unpacked into a staging directory next to its final place
 * (same filesystem), checked (sha256 against the catalog, safe entries, a model the engine
 * recognises and loads), given a model.json card, and only then renamed into
 * `<modelsDir>/<name>`. Any failure removes the staging directory: nothing half-installed;
 * what a killed install left is swept by the next one (work-dirs.ts).
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { detectModel } from '../asr/models/detect.js';
import { MODEL_CARD_FILE, sha256File, type ModelCard } from '../asr/models/card.js';
import { loadModel } from '../asr/recognizer.js';
import { MODEL_FAMILIES } from '../asr/types.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { extractArchive, isArchiveName, modelRoot, stripArchiveSuffix } from './archive.js';
import { checkModelName, findPack, findPackByArchive, isRunnableFamily, type Catalog, type CatalogPack } from './catalog.js';
import { downloadFile, type DownloadProgress } from './download.js';
import { makeStagingDir, removeTree, replacedDir, sweepWorkDirs } from './work-dirs.js';
import { fsyncDir, fsyncTree } from '../scheduler/durable-file.js';

export interface InstallOptions {
  /** A catalog pack name, or a path to a local archive. */
  source: string;
  /** Where models live: `<dataDir>/models`. */
  modelsDir: string;
  catalog: Catalog;
  /** Install under this name instead of the pack's. */
  name?: string;
  /** Replace an installed model of the same name. */
  force?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface InstallResult {
  name: string;
  dir: string;
  family: string;
  card: ModelCard;
  /** Where the archive came from: the catalog URL or the local path. */
  from: string;
  archiveSha256: string;
  replaced: boolean;
}

/** True when `source` names a file rather than a catalog pack. */
export function isLocalSource(source: string): boolean {
  return source.includes('/') || isArchiveName(source) || existsSync(source);
}

interface ResolvedArchive {
  path: string;
  pack: CatalogPack | undefined;
  from: string;
  sha256: string;
  /** A downloaded archive is deleted after a successful install. */
  downloaded: boolean;
}

async function resolveArchive(options: InstallOptions): Promise<ResolvedArchive> {
  const { source, catalog } = options;
  if (isLocalSource(source)) {
    const path = resolve(source);
    if (!existsSync(path)) throw new Error(`${source}: no such file; pass a model pack archive (.tar.bz2) or a catalog name (earshot model list)`);
    const sha256 = await sha256File(path);
    const pack = findPackByArchive(catalog, basename(path));
    if (pack && pack.sha256 !== sha256) {
      throw new Error(
        `${source}: sha256 ${sha256} does not match the catalog's ${pack.sha256} for '${pack.name}'; the archive is corrupt, incomplete or a different release. Download it again (${pack.url})`,
      );
    }
    return { path, pack, from: path, sha256, downloaded: false };
  }
  const pack = findPack(catalog, source);
  if (!pack) {
    const names = catalog.packs.map((p) => p.name).join(', ');
    throw new Error(`'${source}' is not in the model catalog (known: ${names}); or pass the path of a local archive`);
  }
  const downloads = join(options.modelsDir, '.downloads');
  mkdirSync(downloads, { recursive: true });
  const dest = join(downloads, pack.archive);
  if (!existsSync(dest) || (await sha256File(dest)) !== pack.sha256) {
    rmSync(dest, { force: true });
    try {
      await downloadFile(pack.url, dest, { expectedSha256: pack.sha256, sizeHint: pack.sizeBytes, onProgress: options.onProgress, signal: options.signal });
    } catch (err) {
      throw new Error(`'${pack.name}': ${(err as Error).message}`, { cause: err });
    }
  }
  return { path: dest, pack, from: pack.url, sha256: pack.sha256, downloaded: true };
}

function card(name: string, family: ModelCard['family'], files: ModelCard['files'], pack: CatalogPack | undefined, from: string, archiveSha256: string): ModelCard & Record<string, unknown> {
  return {
    name,
    family,
    languages: pack?.languages ?? [],
    sampleRate: 16000,
    files,
    licence: pack?.licence ?? 'unknown (installed from a local archive; see the pack)',
    source: from,
    archiveSha256,
    installedAt: new Date().toISOString(),
  };
}

export async function installModel(options: InstallOptions): Promise<InstallResult> {
  const logger = options.logger ?? silentLogger;
  mkdirSync(options.modelsDir, { recursive: true });
  sweepWorkDirs(options.modelsDir, logger);
  const archive = await resolveArchive(options);
  const name = checkModelName(options.name ?? archive.pack?.name ?? stripArchiveSuffix(basename(archive.path)), 'install');
  if (archive.pack && !isRunnableFamily(archive.pack.family)) {
    throw new Error(`'${archive.pack.name}' is a ${archive.pack.family} pack; this engine runs ${MODEL_FAMILIES.join(', ')} models only, so it is listed but cannot be installed yet`);
  }
  const dest = join(options.modelsDir, name);
  if (existsSync(dest) && !options.force) {
    throw new Error(`${dest}: '${name}' is already installed; pass --force to replace it or remove it first (earshot model remove ${name})`);
  }
  // Staging sits in modelsDir so the final rename is atomic (same filesystem).
  const staging = makeStagingDir(options.modelsDir, name);
  let trash: string | undefined;
  let installed = false;
  try {
    await extractArchive(archive.path, staging);
    const root = modelRoot(staging);
    const layout = detectModel(root);
    if (archive.pack && layout.family !== archive.pack.family) {
      throw new Error(`${archive.from}: the catalog says ${archive.pack.family} but the archive holds a ${layout.family} model; check the catalog entry`);
    }
    // The card lists the files the engine loads; it re-checks them on every load.
    const files = [];
    const needed = layout.transducer ? [layout.transducer.encoder, layout.transducer.decoder, layout.transducer.joiner] : [layout.modelPath];
    for (const p of [...needed, layout.tokensPath]) files.push({ path: basename(p), sha256: await sha256File(p) });
    const written = card(name, layout.family, files, archive.pack, archive.from, archive.sha256);
    writeFileSync(join(root, MODEL_CARD_FILE), JSON.stringify(written, null, 2) + '\n');
    // Prove the model loads before it becomes visible.
    const model = await loadModel(root, { providers: ['cpu'], threads: 1, logger });
    await model.release();
    // On disk before it takes the model's name: a power cut soon after could otherwise leave
    // empty files there, and the model replaced, if it was, already gone.
    await fsyncTree(root);
    if (existsSync(dest)) {
      trash = replacedDir(staging);
      renameSync(dest, trash);
    }
    renameSync(root, dest);
    await fsyncDir(options.modelsDir);
    installed = true;
    logger.info('model installed', { name, family: layout.family, dir: dest, from: archive.from });
    return { name, dir: dest, family: layout.family, card: written, from: archive.from, archiveSha256: archive.sha256, replaced: trash !== undefined };
  } catch (err) {
    if (trash && !existsSync(dest)) renameSync(trash, dest); // put the old model back
    throw err;
  } finally {
    removeTree(staging);
    if (trash) removeTree(trash);
    if (archive.downloaded && installed) rmSync(archive.path, { force: true });
  }
}
