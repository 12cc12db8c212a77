import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { EarshotCommand } from '../earshot-command.js';
import { loadConfig } from '../../config/load.js';
import { readOutboxStats, type OutboxStats } from '../../mqtt/outbox/outbox-stats.js';
import { DEFAULT_CONFIG_FILE } from '../daemon-flags.js';
import { failCommand } from '../errors.js';
import { NewerFormatError } from '../../state-format.js';

export default class Outbox extends EarshotCommand {
  static override summary = 'Show the MQTT outbox: transcripts waiting for the broker, the oldest, bytes, and drops.';
  static override description =
    'Reads <dataDir>/outbox directly, so it works whether or not the daemon runs. Drops are transcripts pushed out by mqtt.outbox.maxBytes or maxAgeHours while the broker was unreachable, or set aside because their packet is over the maximum packet size of the broker (too-large; those are kept in outbox/rejected/).';
  static override enableJsonFlag = true;
  static override flags = {
    config: Flags.string({ char: 'c', description: 'config file (for dataDir)', env: 'EARSHOT_CONFIG' }),
    'data-dir': Flags.string({ description: 'state directory holding outbox/ (wins over the config)' }),
  };
  static override examples = ['<%= config.bin %> outbox', '<%= config.bin %> outbox --json', '<%= config.bin %> outbox --data-dir /var/lib/earshot'];

  async run(): Promise<OutboxStats> {
    const { flags } = await this.parse(Outbox);
    let dataDir = flags['data-dir'];
    if (!dataDir) {
      try {
        const file = flags.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
        dataDir = loadConfig({ file, env: process.env }).dataDir;
      } catch (err) {
        failCommand(this, err);
      }
    }
    let stats: OutboxStats;
    try {
      stats = readOutboxStats(join(dataDir, 'outbox'));
    } catch (err) {
      // Permissions are the likely cause, but not of a file a newer release wrote.
      const hint = err instanceof NewerFormatError ? 'run the newer earshot that wrote it' : 'run as the earshot user or with sudo; check --data-dir';
      this.error(`cannot read the outbox in ${join(dataDir, 'outbox')}: ${(err as Error).message}`, { exit: 1, suggestions: [hint] });
    }
    this.log(`outbox ${stats.dir}`);
    this.log(`  depth   ${stats.depth} transcript(s) waiting for the broker`);
    this.log(`  bytes   ${stats.bytes} pending, ${stats.fileBytes} on disk`);
    this.log(`  oldest  ${stats.oldest ? `${stats.oldest.id} from ${stats.oldest.at} (${stats.oldest.ageSec} s ago)` : '-'}`);
    const reasons = Object.entries(stats.drops.byReason).map(([r, n]) => `${r}: ${n}`).join(', ');
    this.log(`  drops   ${stats.drops.count}${stats.drops.count ? ` (${stats.drops.bytes} bytes; ${reasons}; last ${stats.drops.lastAt})` : ''}`);
    if (stats.rejected.count > 0) this.log(`  rejected ${stats.rejected.count} too big for the broker, kept in ${stats.rejected.dir}`);
    if (stats.damagedBytes > 0) this.log(`  damaged ${stats.damagedBytes} byte(s) unreadable (a torn write; the daemon skips them at start)`);
    return stats;
  }
}
