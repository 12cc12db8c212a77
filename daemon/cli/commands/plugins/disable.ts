import { Args } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import type { PluginStatus } from '../../../plugins/types.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';

export default class PluginsDisable extends EarshotCommand {
  static override summary = 'Stop a plugin now; transcripts go on without it. Remembered across daemon restarts.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> plugins disable itn-en', '<%= config.bin %> plugins disable @earshot/plugin-hotwords-correct --json'];
  static override args = { name: Args.string({ description: 'plugin name (npm name or short alias)', required: true }) };
  static override flags = { ...daemonFlags };

  async run(): Promise<PluginStatus> {
    const { args, flags } = await this.parse(PluginsDisable);
    let status: PluginStatus;
    try {
      status = (await requestDaemon('plugins.disable', { name: args.name }, flags)) as PluginStatus;
    } catch (err) {
      failCommand(this, err);
    }
    this.log(`${status.name}: ${status.state}${status.error && status.state !== 'running' ? ` (${status.error})` : ''}`);
    if (status.required) this.warn('plugins.required names it: no transcript is published until it is enabled again; jobs wait');
    return status;
  }
}
