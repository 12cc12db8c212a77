import { existsSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { loadCatalog } from '../../../catalog/catalog.js';
import { installModel, type InstallResult } from '../../../catalog/install.js';
import { locateModels } from '../../../catalog/models-dir.js';
import { formatProgress } from '../../../catalog/progress-bar.js';
import { ConfigError } from '../../../config/errors.js';
import { loadConfig } from '../../../config/load.js';
import { DEFAULT_CONFIG_FILE } from '../../daemon-flags.js';

export const modelLocationFlags = {
  config: Flags.string({ char: 'c', description: 'config file (for dataDir and models.*)', env: 'EARSHOT_CONFIG' }),
  'data-dir': Flags.string({ description: 'data directory; models go to DATA_DIR/models (wins over the config)' }),
  catalog: Flags.string({ description: 'model catalog JSON (default: the one shipped in models/catalog.json)' }),
};

export default class ModelInstall extends EarshotCommand {
  static override summary = 'Install a model pack from the catalog (download) or from a local archive (offline).';
  static override description =
    'NAME is a pack from `earshot model list --available`: it is downloaded with resume and checked against the catalog sha256. A path to a .tar.bz2, .tar.gz, .tar.xz or .tar archive installs offline (checked against the catalog when its file name is listed there). The pack is unpacked by Earshot’s own tar reader, which takes regular files and directories only (bzip2 and xz archives need the bzip2 or xz program), and verified in a staging directory and only then moved to DATA_DIR/models/NAME with a model.json card; a corrupt or mismatched archive leaves nothing behind. The daemon uses it once model.dir in its config names that folder and it is restarted.';
  static override enableJsonFlag = true;
  static override args = { source: Args.string({ description: 'catalog pack name, or path to a pack archive', required: true }) };
  static override flags = {
    ...modelLocationFlags,
    name: Flags.string({ description: 'install under this name instead of the pack name' }),
    force: Flags.boolean({ description: 'replace an installed model of the same name' }),
  };
  static override examples = [
    '<%= config.bin %> model install sherpa-onnx-nemo-ctc-en-conformer-small',
    '<%= config.bin %> model install ./sherpa-onnx-nemo-ctc-en-conformer-small.tar.bz2',
    '<%= config.bin %> model install ./my-pack.tar.bz2 --name site-model --data-dir /var/lib/earshot --json',
  ];

  async run(): Promise<InstallResult> {
    const { args, flags } = await this.parse(ModelInstall);
    let location;
    let catalog;
    try {
      location = locateModels({ config: flags.config, dataDir: flags['data-dir'], catalog: flags.catalog }, (file) => loadConfig({ file, env: process.env }), DEFAULT_CONFIG_FILE, existsSync);
      catalog = loadCatalog(location.catalogPath);
    } catch (err) {
      const message = err instanceof ConfigError ? err.lines().join('\n') : (err as Error).message;
      this.error(message, { exit: 1, suggestions: ['check --config / --catalog, or pass --data-dir'] });
    }
    const started = Date.now();
    const tty = process.stderr.isTTY && !this.jsonEnabled();
    let lastDraw = 0;
    try {
      const result = await installModel({
        source: args.source,
        modelsDir: location.modelsDir,
        catalog,
        name: flags.name,
        force: flags.force,
        onProgress: (p) => {
          const now = Date.now();
          if (this.jsonEnabled() || (now - lastDraw < 250 && p.received !== p.total)) return;
          lastDraw = now;
          process.stderr.write((tty ? '\r' : '') + formatProgress(p, now - started) + (tty ? '' : '\n'));
        },
      });
      if (tty && lastDraw > 0) process.stderr.write('\n');
      this.log(`installed ${result.name} (${result.family}) in ${result.dir}${result.replaced ? ', replacing the previous one' : ''}`);
      // The daemon runs the model named by model.dir, read at start: an install alone changes nothing.
      this.log(`to use it: "model": { "dir": ${JSON.stringify(result.dir)} } in the daemon's config, then restart the daemon (systemctl restart earshot)`);
      return result;
    } catch (err) {
      if (tty && lastDraw > 0) process.stderr.write('\n');
      this.error((err as Error).message, { exit: 1, suggestions: ['`earshot model list --available` shows the catalog; a local archive is installed by path'] });
    }
  }
}
