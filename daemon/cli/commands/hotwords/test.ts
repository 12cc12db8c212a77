import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { readHotwordFile, type HotwordsFileConfig, type ListProblem } from '@earshot/plugin-hotwords-file';
import type { Hotword } from '@earshot/sdk';
import { hotwordsFileSettings } from '../../../plugins/hotwords-file-settings.js';
import { DEFAULT_CONFIG_FILE } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';

export interface HotwordsTestResult {
  file: string;
  format: 'lines' | 'csv';
  hotwords: Hotword[];
  problems: ListProblem[];
}

export default class HotwordsTest extends EarshotCommand {
  static override summary = 'Check a hotword list file the way the hotwords-file plugin reads it, without the daemon.';
  static override description =
    'Lists the phrases taken with their boosts and every refused line with its number and the reason. Exits 1 when any line is refused. Settings (maxLength, maxBoost, defaultBoost, language, format) come from plugins.config.hotwords-file in the config file, else the plugin defaults; flags override them.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> hotwords test /etc/earshot/hotwords.txt',
    '<%= config.bin %> hotwords test names.csv --language en --json',
  ];
  static override args = { file: Args.string({ description: 'the hotword list (phrase[:weight] lines, or CSV phrase,weight,language)', required: true }) };
  static override flags = {
    config: Flags.string({ char: 'c', description: 'daemon config file whose plugins.config.hotwords-file settings apply', env: 'EARSHOT_CONFIG' }),
    format: Flags.string({ description: 'file format (default: from the settings; auto = CSV for *.csv)', options: ['auto', 'lines', 'csv'] }),
    language: Flags.string({ description: 'language tag for phrases that name none, e.g. en' }),
  };

  async run(): Promise<HotwordsTestResult> {
    const { args, flags } = await this.parse(HotwordsTest);
    const file = resolve(args.file);
    let settings: HotwordsFileConfig;
    let result: HotwordsTestResult;
    try {
      const overrides: Partial<HotwordsFileConfig> = {};
      if (flags.format) overrides.format = flags.format as HotwordsFileConfig['format'];
      if (flags.language) overrides.language = flags.language;
      const configFile = flags.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
      settings = hotwordsFileSettings(configFile, overrides);
      const parsed = await readHotwordFile(file, settings);
      result = { file, format: settings.format === 'auto' ? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'lines') : settings.format, ...parsed };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') this.error(`hotword list ${file} does not exist`, { exit: 1, suggestions: ['check the path'] });
      failCommand(this, err);
    }
    const lines = result.problems.map((p) => `${file}:${p.line}: ${p.message}`);
    if (result.problems.length > 0) {
      this.error(`${result.problems.length} lines refused (${result.hotwords.length} phrases taken):\n${lines.join('\n')}`, {
        exit: 1,
        suggestions: ['fix or remove the lines above; the daemon skips them and keeps the rest'],
      });
    }
    this.log(`${file}: ${result.hotwords.length} phrases (${result.format})`);
    for (const h of result.hotwords) this.log(`  ${h.phrase}  boost ${h.boost}${h.language ? `  [${h.language}]` : ''}`);
    return result;
  }
}
