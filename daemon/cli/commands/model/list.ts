import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { isRunnableFamily, loadCatalog, type CatalogPack } from '../../../catalog/catalog.js';
import { describeModel, listInstalled, type InstalledModel } from '../../../catalog/installed.js';
import { locateModels } from '../../../catalog/models-dir.js';
import { ConfigError } from '../../../config/errors.js';
import { loadConfig } from '../../../config/load.js';
import { packageRoot } from '../../../paths.js';
import { DEFAULT_CONFIG_FILE } from '../../daemon-flags.js';
import { DEFAULT_MODEL_DIR } from '../transcribe.js';
import { modelLocationFlags } from './install.js';

interface AvailablePack extends CatalogPack {
  installed: boolean;
  runnable: boolean;
}

export interface ModelListResult {
  modelsDir: string;
  installed: InstalledModel[];
  available?: AvailablePack[];
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

export default class ModelList extends EarshotCommand {
  static override summary = 'List installed models (and the bundled default); --available adds the catalog.';
  static override enableJsonFlag = true;
  static override flags = {
    ...modelLocationFlags,
    available: Flags.boolean({ char: 'a', description: 'also list the packs in the catalog' }),
  };
  static override examples = ['<%= config.bin %> model list', '<%= config.bin %> model list --available --json'];

  async run(): Promise<ModelListResult> {
    const { flags } = await this.parse(ModelList);
    let location;
    try {
      location = locateModels({ config: flags.config, dataDir: flags['data-dir'], catalog: flags.catalog }, (file) => loadConfig({ file, env: process.env }), DEFAULT_CONFIG_FILE, existsSync);
    } catch (err) {
      this.error(err instanceof ConfigError ? err.lines().join('\n') : (err as Error).message, { exit: 1, suggestions: ['check --config, or pass --data-dir'] });
    }
    const bundledDir = join(packageRoot, DEFAULT_MODEL_DIR);
    const installed = [...(existsSync(bundledDir) ? [describeModel(bundledDir, 'earshot-en-tiny', true)] : []), ...listInstalled(location.modelsDir)];
    const result: ModelListResult = { modelsDir: location.modelsDir, installed };
    for (const m of installed) {
      const tag = m.bundled ? ' (bundled default)' : '';
      this.log(`${m.name}${tag}  ${m.family ?? '?'}  ${m.languages.join(',') || '-'}  ${mib(m.sizeBytes)}  ${m.dir}${m.problem ? `  PROBLEM: ${m.problem}` : ''}`);
    }
    if (flags.available) {
      let catalog;
      try {
        catalog = loadCatalog(location.catalogPath);
      } catch (err) {
        this.error((err as Error).message, { exit: 1, suggestions: ['pass --catalog FILE'] });
      }
      const names = new Set(installed.map((m) => m.name));
      result.available = catalog.packs.map((p) => ({ ...p, installed: names.has(p.name), runnable: isRunnableFamily(p.family) }));
      this.log('\navailable (earshot model install NAME):');
      for (const p of result.available) {
        const state = p.installed ? 'installed' : p.runnable ? '' : `listed only: ${p.family} is not run by this engine yet`;
        this.log(`${p.name}  ${p.family}  ${p.languages.join(',')}  ${mib(p.sizeBytes)}  ${p.licence}${state ? `  [${state}]` : ''}`);
      }
    }
    return result;
  }
}
