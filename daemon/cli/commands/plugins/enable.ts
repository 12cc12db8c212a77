import { Args } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import type { PluginStatus } from '../../../plugins/types.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';

export default class PluginsEnable extends EarshotCommand {
  static override summary = 'Start a disabled or failed plugin now (failure count reset); remembered across daemon restarts. Exits 1 when the plugin does not run (e.g. its config, as the daemon read it at start, is wrong).';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> plugins enable itn-en', '<%= config.bin %> plugins enable @earshot/plugin-hotwords-correct --json'];
  static override args = { name: Args.string({ description: 'plugin name (npm name or short alias)', required: true }) };
  static override flags = { ...daemonFlags };

  async run(): Promise<PluginStatus> {
    const { args, flags } = await this.parse(PluginsEnable);
    let status: PluginStatus;
    try {
      status = (await requestDaemon('plugins.enable', { name: args.name }, flags)) as PluginStatus;
    } catch (err) {
      failCommand(this, err);
    }
    if (status.state !== 'running') {
      // Remembered as enabled, but not running: a script must not read that as done. The
      // usual cause is one the config file holds (plugins.config), which the daemon read at
      // its start and reads again only at the next.
      this.error(`${status.name}: enabled, but ${status.state}${status.error ? `: ${status.error}` : ''}`, {
        exit: 1,
        suggestions: ["the daemon reads the config file only when it starts: after mending plugins.config there, restart it (systemctl restart earshot); `earshot plugins info NAME --offline` checks the file's settings now"],
      });
    }
    this.log(`${status.name}: ${status.state}`);
    return status;
  }
}
