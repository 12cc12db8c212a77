import { Args, Flags } from '@oclif/core';
import { pluginLabel } from '../../plugin-label.js';
import { EarshotCommand } from '../../earshot-command.js';
import type { PluginInfo } from '../../../plugins/host.js';
import { DEFAULT_CONFIG_FILE, configFileOf, daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { withOfflineHost } from '../../../plugins/offline-host.js';

export default class PluginsInfo extends EarshotCommand {
  static override summary = 'Show one plugin: state, kinds, counters, version range, files and its effective config.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> plugins info itn-en', '<%= config.bin %> plugins info @earshot/plugin-hotwords-file --json'];
  static override args = { name: Args.string({ description: 'plugin name (npm name or short alias)', required: true }) };
  static override flags = {
    ...daemonFlags,
    offline: Flags.boolean({ description: 'load the plugins here from the config instead of asking the daemon' }),
  };

  async run(): Promise<PluginInfo> {
    const { args, flags } = await this.parse(PluginsInfo);
    let info: PluginInfo;
    try {
      info = flags.offline ? await withOfflineHost({ config: configFileOf(flags), defaultConfigFile: DEFAULT_CONFIG_FILE }, (host) => host.info(args.name)) : ((await requestDaemon('plugins.info', { name: args.name }, flags)) as PluginInfo);
    } catch (err) {
      failCommand(this, err);
    }
    this.log(`${pluginLabel(info)} (${info.alias}, ${info.source}): ${info.state}`);
    if (info.description) this.log(`  ${info.description}`);
    this.log(`  kinds:     ${info.kinds.join(', ') || '-'}${info.languages ? ` (languages: ${info.languages.join(', ')})` : ''}`);
    this.log(`  calls:     ${info.calls}, failures ${info.failures} (${info.consecutiveFailures} in a row)${info.partialFailures > 0 ? `, ${info.partialFailures} on live partials (withheld, not counted toward maxFailures)` : ''}`);
    if (info.engines) this.log(`  engines:   earshot ${info.engines}`);
    this.log(`  path:      ${info.path}`);
    if (info.configSchema) this.log(`  schema:    ${info.configSchema}`);
    if (info.config) this.log(`  config:    ${JSON.stringify(info.config)}`);
    if (info.error) this.log(`  error:     ${info.error}`);
    return info;
  }
}
