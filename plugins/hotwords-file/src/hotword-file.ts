import { readFile } from 'node:fs/promises';
import type { Hotword, PluginContext } from '@earshot/sdk';
import { formatFor, parseHotwordList, type ParsedList } from './parse-list.js';

/** The plugin's config, as validated against config.schema.json (defaults filled in). */
export interface HotwordsFileConfig {
  file: string | null;
  format: 'auto' | 'lines' | 'csv';
  defaultBoost: number;
  maxBoost: number;
  language: string | null;
  watch: boolean;
  refresh: string | null;
  maxLength: number;
  maxPhrases: number;
}

/** Read and check a list file with the plugin's config; for the plugin and `earshot hotwords test`. */
export async function readHotwordFile(file: string, config: HotwordsFileConfig): Promise<ParsedList> {
  const text = await readFile(file, 'utf8');
  return parseHotwordList(text, {
    format: formatFor(file, config.format),
    defaultBoost: config.defaultBoost,
    maxBoost: config.maxBoost,
    maxLength: config.maxLength,
    maxPhrases: config.maxPhrases,
    language: config.language ?? undefined,
  });
}

/**
 * The current list of one file. `reload()` never throws: a list that cannot be read keeps the
 * last good one (a half-synced file must not wipe the vocabulary), a removed file empties it.
 */
export class HotwordFile {
  private current: Hotword[] = [];

  constructor(
    private readonly ctx: PluginContext<HotwordsFileConfig>,
    private readonly file: string,
  ) {}

  get hotwords(): readonly Hotword[] {
    return this.current;
  }

  /** Read the file again; tell the host when the list changed. */
  async reload(): Promise<void> {
    const { logger, config } = this.ctx;
    let parsed: ParsedList;
    try {
      parsed = await readHotwordFile(this.file, config);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        logger.warn(`hotword list ${this.file} does not exist; no hotwords until it is created`);
        parsed = { hotwords: [], problems: [] };
      } else {
        logger.error(`hotword list ${this.file} not reloaded, keeping ${this.current.length} phrases: ${(err as Error).message}`);
        return;
      }
    }
    if (parsed.problems.length > 0) {
      const shown = parsed.problems.slice(0, 10).map((p) => `${this.file}:${p.line}: ${p.message}`);
      const more = parsed.problems.length > shown.length ? ` (and ${parsed.problems.length - shown.length} more; run \`earshot hotwords test ${this.file}\`)` : '';
      logger.warn(`hotword list: ${parsed.problems.length} lines skipped:\n${shown.join('\n')}${more}`);
    }
    const changed = JSON.stringify(parsed.hotwords) !== JSON.stringify(this.current);
    this.current = parsed.hotwords;
    if (changed) {
      logger.info(`hotword list ${this.file}: ${parsed.hotwords.length} phrases`);
      this.ctx.hotwordsChanged();
    }
  }
}
