import { existsSync } from 'node:fs';
import { Args } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { ConfigError, type ConfigIssue } from '../../../config/errors.js';
import { loadConfig } from '../../../config/load.js';
import { DEFAULT_CONFIG_FILE } from '../../daemon-flags.js';

interface ValidateResult {
  file: string;
  valid: boolean;
  errors: ConfigIssue[];
}

/** EX_CONFIG from sysexits(3), the daemon's exit code for the same problems. */
const EX_CONFIG = 78;

export default class ConfigValidate extends EarshotCommand {
  static override summary = 'Check a config file against config.schema.json, printing each problem as `path: message`.';
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({ description: `config file (default: $EARSHOT_CONFIG, else ${DEFAULT_CONFIG_FILE})`, required: false }),
  };
  static override examples = ['<%= config.bin %> config validate /etc/earshot/config.json', '<%= config.bin %> config validate ./dev.json --json'];

  async run(): Promise<ValidateResult> {
    const { args } = await this.parse(ConfigValidate);
    const file = args.file ?? process.env.EARSHOT_CONFIG ?? DEFAULT_CONFIG_FILE;
    if (!args.file && !process.env.EARSHOT_CONFIG && !existsSync(file)) {
      this.error(`no config file given and ${DEFAULT_CONFIG_FILE} does not exist`, { exit: 2, suggestions: ['pass the file: earshot config validate ./config.json'] });
    }
    try {
      loadConfig({ file, env: process.env });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      if (!this.jsonEnabled()) for (const line of err.lines()) this.logToStderr(line);
      process.exitCode = EX_CONFIG;
      return { file, valid: false, errors: err.issues };
    }
    this.log(`${file}: valid`);
    return { file, valid: true, errors: [] };
  }
}
