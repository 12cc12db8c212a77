import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Args } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { removeModel } from '../../../catalog/installed.js';
import { locateModels } from '../../../catalog/models-dir.js';
import { ConfigError } from '../../../config/errors.js';
import { loadConfig } from '../../../config/load.js';
import { DEFAULT_CONFIG_FILE } from '../../daemon-flags.js';
import { modelLocationFlags } from './install.js';
import { DEFAULT_MODEL_DIR } from '../transcribe.js';

export default class ModelRemove extends EarshotCommand {
  static override summary = 'Remove an installed model from DATA_DIR/models (the bundled default cannot be removed).';
  static override enableJsonFlag = true;
  static override args = { name: Args.string({ description: 'installed model name (earshot model list)', required: true }) };
  static override flags = { ...modelLocationFlags };
  static override examples = ['<%= config.bin %> model remove sherpa-onnx-nemo-ctc-en-conformer-small'];

  async run(): Promise<{ name: string; dir: string }> {
    const { args, flags } = await this.parse(ModelRemove);
    try {
      const { modelsDir } = locateModels({ config: flags.config, dataDir: flags['data-dir'], catalog: flags.catalog }, (file) => loadConfig({ file, env: process.env }), DEFAULT_CONFIG_FILE, existsSync);
      // The bundled model lives in the package, not in DATA_DIR/models (unless a pack took its name there).
      const bundled = basename(DEFAULT_MODEL_DIR);
      if (args.name === bundled && !existsSync(join(modelsDir, bundled))) {
        throw new Error(`'${bundled}' is the bundled default model: it ships with earshot and cannot be removed`);
      }
      const dir = removeModel(modelsDir, args.name);
      this.log(`removed ${args.name} (${dir})`);
      return { name: args.name, dir };
    } catch (err) {
      this.error(err instanceof ConfigError ? err.lines().join('\n') : (err as Error).message, { exit: 1, suggestions: ['`earshot model list` shows what is installed'] });
    }
  }
}
