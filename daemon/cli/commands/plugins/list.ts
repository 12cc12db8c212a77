import { Flags } from '@oclif/core';
import { pluginLabel } from '../../plugin-label.js';
import { EarshotCommand } from '../../earshot-command.js';
import type { PluginStatus } from '../../../plugins/types.js';
import { DEFAULT_CONFIG_FILE, configFileOf, daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { withOfflineHost } from '../../../plugins/offline-host.js';

export default class PluginsList extends EarshotCommand {
  static override summary = 'List plugins: state (running, disabled, failed, error), kinds, calls and failures.';
  static override description =
    'Asks the running daemon. With --offline, discovers and starts the plugins in this process from the config file instead (no daemon needed), then stops them.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> plugins list',
    '<%= config.bin %> plugins list --json',
    '<%= config.bin %> plugins list --offline --config /etc/earshot/config.json',
  ];
  static override flags = {
    ...daemonFlags,
    offline: Flags.boolean({ description: 'load the plugins here from the config instead of asking the daemon' }),
  };

  async run(): Promise<PluginStatus[]> {
    const { flags } = await this.parse(PluginsList);
    let plugins: PluginStatus[];
    try {
      plugins = flags.offline ? await withOfflineHost({ config: configFileOf(flags), defaultConfigFile: DEFAULT_CONFIG_FILE }, (host) => host.list()) : ((await requestDaemon('plugins.list', {}, flags)) as PluginStatus[]);
    } catch (err) {
      failCommand(this, err);
    }
    if (plugins.length === 0) this.log('no plugins found');
    for (const p of plugins) {
      const counts = `${p.calls} calls, ${p.failures} failures${p.partialFailures > 0 ? ` (+${p.partialFailures} on partials)` : ''}`;
      this.log(`${p.alias.padEnd(20)} ${p.state.padEnd(9)} ${p.kinds.join('+').padEnd(18) || '-'.padEnd(18)} ${counts.padEnd(24)} ${pluginLabel(p)} (${p.source}${p.isolation === 'thread' ? ', own thread' : ''}${p.required ? ', required' : ''})`);
      if (p.error && p.state !== 'running') this.log(`${''.padEnd(21)}${p.error.replace(/\n/g, `\n${''.padEnd(21)}`)}`);
    }
    return plugins;
  }
}
