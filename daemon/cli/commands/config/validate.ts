import { existsSync } from 'node:fs';
import { Args } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { ConfigError, formatIssue, type ConfigIssue } from '../../../config/errors.js';
import { loadConfig } from '../../../config/load.js';
import type { ModelConfig } from '../../../pipeline/asr-runtime.js';
import { modelDirProblem } from '../../../pipeline/check-model-dir.js';
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
    let errors: ConfigIssue[];
    try {
      const config = loadConfig({ file, env: process.env });
      // What earshotd --check and the start also look at: the model folder it names.
      const problem = modelDirProblem((config.model as ModelConfig).dir);
      errors = problem === undefined ? [] : [{ path: 'model.dir', message: problem }];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors = err.issues;
    }
    if (errors.length > 0) {
      if (!this.jsonEnabled()) for (const issue of errors) this.logToStderr(formatIssue(issue));
      process.exitCode = EX_CONFIG;
      return { file, valid: false, errors };
    }
    this.log(`${file}: valid`);
    return { file, valid: true, errors: [] };
  }
}
