import { existsSync } from 'node:fs';
import { Args } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { ConfigError, formatIssue, type ConfigIssue } from '../../../config/errors.js';
import { loadConfig } from '../../../config/load.js';
import type { ModelConfig } from '../../../pipeline/asr-runtime.js';
import { modelDirProblem } from '../../../pipeline/check-model-dir.js';
import { DEFAULT_CONFIG_FILE } from '../../daemon-flags.js';
import { packageRoot } from '../../../paths.js';
import { checkPluginSettings, type PluginSettingsCheck } from '../../../plugins/config-check.js';
import { pluginRoots } from '../../../plugins/discovery.js';
import type { PluginsConfig } from '../../../plugins/types.js';
import { operatorChoiceFile, type OperatorChoices } from '../../../plugins/operator-choices.js';

interface ValidateResult {
  file: string;
  valid: boolean;
  errors: ConfigIssue[];
  /** Settings the daemon would ignore, plugins it would not load: said, not refused. */
  warnings: string[];
}

/** The plugins' own checks, or why they could not be made (a plugin folder that cannot be read). */
function pluginSettingsOf(plugins: PluginsConfig, dataDir: string): PluginSettingsCheck {
  // Which plugins start disabled is also the operator's `earshot plugins disable`, kept in the data directory.
  const choices = operatorChoices(dataDir);
  try {
    const check = checkPluginSettings(plugins, pluginRoots(plugins, packageRoot), choices.choices);
    return { ...check, warnings: [...choices.warnings, ...check.warnings] };
  } catch (err) {
    return { problems: [], warnings: [`the plugins were not checked: ${(err as Error).message}`] };
  }
}

/** The enable/disable choices under `dataDir`; none, with a warning, when they cannot be read (another user's data directory). */
function operatorChoices(dataDir: string): { choices: OperatorChoices; warnings: string[] } {
  try {
    const saved = operatorChoiceFile(dataDir).read();
    return { choices: saved.choices, warnings: saved.unreadable ? [saved.unreadable] : [] };
  } catch (err) {
    return { choices: {}, warnings: [`the earshot plugins enable|disable choices were not read (${(err as Error).message}): plugins are checked as plugins.disabled says`] };
  }
}

/** EX_CONFIG from sysexits(3), the daemon's exit code for the same problems. */
const EX_CONFIG = 78;

export default class ConfigValidate extends EarshotCommand {
  static override summary = 'Check a config file against config.schema.json and each plugin section against its plugin\'s schema, printing each problem as `path: message`.';
  static override description =
    'Also checks the model folder it names, as earshotd --check does. A plugins.config section its plugin refuses is a problem (the daemon would start without that plugin); plugin names that match no installed plugin, and plugins that would not load, are warnings on stderr.';
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
    let warnings: string[] = [];
    try {
      const config = loadConfig({ file, env: process.env });
      // What earshotd --check and the start also look at: the model folder it names.
      const problem = modelDirProblem((config.model as ModelConfig).dir);
      errors = problem === undefined ? [] : [{ path: 'model.dir', message: problem }];
      const plugins = pluginSettingsOf(config.plugins as PluginsConfig, config.dataDir as string);
      errors.push(...plugins.problems);
      warnings = plugins.warnings;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors = err.issues;
    }
    if (!this.jsonEnabled()) for (const warning of warnings) this.logToStderr(`warning: ${warning}`);
    if (errors.length > 0) {
      if (!this.jsonEnabled()) for (const issue of errors) this.logToStderr(formatIssue(issue));
      process.exitCode = EX_CONFIG;
      return { file, valid: false, errors, warnings };
    }
    this.log(`${file}: valid`);
    return { file, valid: true, errors: [], warnings };
  }
}
