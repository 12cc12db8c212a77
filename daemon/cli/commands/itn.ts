import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Args, Flags } from '@oclif/core';
import { EarshotCommand } from '../earshot-command.js';
import { findEdits as findEnglishEdits, applyEdits as applyEnglishEdits, type EnglishItnOptions } from '@earshot/plugin-itn-en';
import { findEdits as findChineseEdits, applyEdits as applyChineseEdits } from '@earshot/plugin-itn-zh';
import { loadConfig } from '../../config/load.js';
import { validatePluginConfig } from '../../plugins/config-validation.js';
import { parseManifest, readPackageJson } from '../../plugins/manifest.js';
import type { PluginsConfig } from '../../plugins/types.js';
import { DEFAULT_CONFIG_FILE } from '../daemon-flags.js';
import { failCommand } from '../errors.js';

/** One span the normalizer rewrote, as `earshot itn --json` reports it. */
export interface ItnSpan {
  /** Which rule rewrote it: cardinal, money, date … */
  category: string;
  /** The spoken form as it was in the input. */
  spoken: string;
  /** The written form. */
  written: string;
  /** Character offsets of the spoken form in the input. */
  start: number;
  end: number;
}

export interface ItnResult {
  language: 'en' | 'zh';
  input: string;
  output: string;
  spans: ItnSpan[];
}

/**
 * The English plugin's options as the daemon would give them: its section of the config file
 * (when there is one), then `overrides`, validated against the plugin's schema, which alone
 * holds the defaults.
 */
function englishOptions(configFile: string | undefined, overrides: Partial<EnglishItnOptions>): EnglishItnOptions {
  // The package folder: its main module is dist/index.js.
  const dir = dirname(dirname(fileURLToPath(import.meta.resolve('@earshot/plugin-itn-en'))));
  const manifest = parseManifest(dir, readPackageJson(dir) ?? {});
  let section: Record<string, unknown> = {};
  if (configFile !== undefined) {
    const sections = (loadConfig({ file: configFile, env: process.env }).plugins as PluginsConfig | undefined)?.config ?? {};
    section = (sections[manifest.name] ?? sections[manifest.alias] ?? {}) as Record<string, unknown>;
  }
  return validatePluginConfig(manifest, { ...section, ...overrides }) as unknown as EnglishItnOptions;
}

/** Runs the built-in inverse text normalizers on a text here, without the daemon. */
export default class Itn extends EarshotCommand {
  static override summary = 'Try inverse text normalization: turn spoken numbers, dates, times and money in TEXT into written form.';
  static override description =
    'Runs the built-in ITN plugin for the language (@earshot/plugin-itn-en or @earshot/plugin-itn-zh) on TEXT, prints the result and, with --json, every span it rewrote and the rule that did it. Text the normalizer does not understand is printed unchanged. Works without the daemon.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> itn "twenty three dollars and fifty cents" --lang en',
    '<%= config.bin %> itn "the first of march twenty twenty five" --lang en --date-format ISO',
    '<%= config.bin %> itn "二零二五年三月五日" --lang zh --json',
  ];
  static override args = { text: Args.string({ description: 'the spoken-form text, e.g. a transcript', required: true }) };
  static override flags = {
    lang: Flags.string({ char: 'l', description: 'language of the text', options: ['en', 'zh'], default: 'en' }),
    'date-format': Flags.string({
      description: 'English date style: MDY = "March 1, 2025", DMY = "1 March 2025", ISO = "2025-03-01" (default: plugins.config.itn-en.dateFormat, else MDY)',
      options: ['MDY', 'DMY', 'ISO'],
    }),
    config: Flags.string({ char: 'c', description: 'daemon config file whose plugins.config.itn-en settings apply', env: 'EARSHOT_CONFIG' }),
  };

  async run(): Promise<ItnResult> {
    const { args, flags } = await this.parse(Itn);
    const input = args.text;
    if (input.trim() === '') {
      this.error('TEXT is empty', { exit: 1, suggestions: ['pass the words to normalize in quotes: earshot itn "twenty three dollars" --lang en'] });
    }
    const language = flags.lang as 'en' | 'zh';
    let options: EnglishItnOptions | undefined;
    if (language === 'en') {
      try {
        const configFile = flags.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
        const overrides: Partial<EnglishItnOptions> = flags['date-format'] ? { dateFormat: flags['date-format'] as EnglishItnOptions['dateFormat'] } : {};
        options = englishOptions(configFile, overrides);
      } catch (err) {
        failCommand(this, err);
      }
    }
    const edits = options ? findEnglishEdits(input, options) : findChineseEdits(input);
    const output = language === 'en' ? applyEnglishEdits(input, edits) : applyChineseEdits(input, edits);
    const spans = edits.map((e) => ({ category: e.category, spoken: input.slice(e.start, e.end), written: e.text, start: e.start, end: e.end }));
    this.log(output);
    return { language, input, output, spans };
  }
}
