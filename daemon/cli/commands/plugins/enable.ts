import { Args } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import type { PluginStatus } from '../../../plugins/types.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';

export default class PluginsEnable extends EarshotCommand {
  static override summary = 'Start a disabled or failed plugin now (failure count reset); remembered across daemon restarts.';
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
    this.log(`${status.name}: ${status.state}${status.error && status.state !== 'running' ? ` (${status.error})` : ''}`);
    return status;
  }
}
