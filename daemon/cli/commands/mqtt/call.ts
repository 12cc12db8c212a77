import { Args, Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { ConfigError } from '../../../config/errors.js';
import { RemoteCommandError } from '../../../mqtt/commands/remote-client.js';
import { requestRemoteDaemon } from '../../../mqtt/commands/remote-target.js';
import { failCommand } from '../../errors.js';

export default class MqttCall extends EarshotCommand {
  static override summary = 'Run a control-API method on a remote site over MQTT (signed with the shared command key).';
  static override description =
    'Publishes a signed command on earshot/<site>/cmd/<method> and prints the reply from earshot/<site>/reply/<requestId>. The remote daemon must have mqtt.commands.enabled and the same key; it answers only commands it accepts, so a wrong key, site id or clock shows as a timeout (its log says why). TLS and broker credentials come from the mqtt section of --config.';
  static override enableJsonFlag = true;
  static override args = {
    method: Args.string({ description: 'control method, e.g. status, budget.set', required: true }),
  };
  static override flags = {
    site: Flags.string({ description: 'site id of the remote box', required: true }),
    broker: Flags.string({ description: 'broker URL (default: mqtt.url of the config)' }),
    'key-file': Flags.string({ description: 'file holding the shared command key (chmod 600)', required: true }),
    params: Flags.string({ description: 'method parameters as a JSON object', default: '{}' }),
    config: Flags.string({ char: 'c', description: 'config file (broker TLS and credentials)', env: 'EARSHOT_CONFIG' }),
    timeout: Flags.integer({ description: 'milliseconds to wait for the reply', default: 10_000, min: 100 }),
  };
  static override examples = [
    '<%= config.bin %> mqtt call status --site lab-2 --broker mqtts://broker.lan:8883 --key-file ~/.config/earshot/cmd.key',
    `<%= config.bin %> mqtt call budget.set --site lab-2 --params '{"powerBudgetWatts":15}' --key-file ./cmd.key --json`,
  ];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(MqttCall);
    let params: Record<string, unknown>;
    try {
      params = JSON.parse(flags.params) as Record<string, unknown>;
      if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new Error('not an object');
    } catch (err) {
      this.error(`--params must be a JSON object (${(err as Error).message})`, { exit: 2, suggestions: [`--params '{"powerBudgetWatts":15}'`] });
    }
    try {
      const data = await requestRemoteDaemon(args.method, params, { site: flags.site, broker: flags.broker, keyFile: flags['key-file'], configFile: flags.config, timeoutMs: flags.timeout });
      this.log(JSON.stringify(data, null, 2));
      return data;
    } catch (err) {
      if (err instanceof ConfigError) failCommand(this, err);
      const hint = err instanceof RemoteCommandError ? hintFor(err.code) : 'check --key-file, --broker and `earshot mqtt test`';
      this.error(err instanceof Error ? err.message : String(err), { exit: 1, suggestions: [hint] });
    }
  }
}

function hintFor(code: string): string {
  // A site never answers a command it refused (bad key, site or clock): those end in a timeout.
  if (code === 'timeout') return '`earshot mqtt test` checks the broker; the remote log (earshot:mqtt:cmd) names each refused command and why';
  return 'see the remote daemon log (earshot:mqtt:cmd)';
}
