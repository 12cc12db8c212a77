import { existsSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { loadConfig } from '../../../config/load.js';
import { checkBrokerConnection, type ConnectionCheckResult } from '../../../mqtt/connection-check.js';
import type { MqttConfig } from '../../../mqtt/config.js';
import { DEFAULT_CONFIG_FILE } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';

export default class MqttTest extends EarshotCommand {
  static override summary = 'Connect to the configured MQTT broker and report which layer fails: DNS, TCP, TLS or auth.';
  static override description =
    'Works without the daemon: reads the mqtt section of the config and tries each layer in turn with the same certificates and credentials the daemon uses. With mqtt.url null it tests the embedded broker, which only listens while earshotd runs; with mqtt.embedded.port 0 (any free port) only the daemon knows the port, and `earshot status` shows its connection instead.';
  static override enableJsonFlag = true;
  static override flags = {
    config: Flags.string({ char: 'c', description: 'config file', env: 'EARSHOT_CONFIG' }),
    url: Flags.string({ description: 'test this broker URL instead of mqtt.url (mqtt:// or mqtts://)' }),
    timeout: Flags.integer({ description: 'milliseconds allowed for each step', default: 5000, min: 100 }),
  };
  static override examples = [
    '<%= config.bin %> mqtt test',
    '<%= config.bin %> mqtt test --config /etc/earshot/config.json --json',
    '<%= config.bin %> mqtt test --url mqtts://broker.lan:8883',
  ];

  async run(): Promise<ConnectionCheckResult> {
    const { flags } = await this.parse(MqttTest);
    let mqtt: MqttConfig;
    let siteId: string;
    try {
      const file = flags.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
      const config = loadConfig({ file, env: process.env });
      mqtt = config.mqtt as unknown as MqttConfig;
      siteId = config.siteId;
    } catch (err) {
      failCommand(this, err);
    }
    if (flags.url) mqtt = { ...mqtt, url: flags.url };
    if (!mqtt.url && mqtt.embedded.port === 0) {
      // Port 0 lets the daemon's embedded broker take any free port: only that daemon knows which.
      this.error('mqtt.embedded.port is 0 (any free port): the port is only known to the running daemon, so there is no address to test here', {
        exit: 1,
        suggestions: ['`earshot status` shows the address the daemon bound and whether it is connected (its mqtt line); or set a fixed mqtt.embedded.port to test it from here'],
      });
    }
    const result = await checkBrokerConnection({ config: mqtt, siteId, timeoutMs: flags.timeout });
    this.log(`broker ${result.url}`);
    for (const s of result.steps) this.log(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.step.padEnd(6)} ${String(s.ms).padStart(5)} ms  ${s.detail}`);
    if (result.failure) {
      if (!this.jsonEnabled()) this.logToStderr(`${result.failure.message}\n  hint: ${result.failure.hint}`);
      process.exitCode = 1;
    }
    return result;
  }
}
