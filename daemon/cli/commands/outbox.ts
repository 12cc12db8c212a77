import { EarshotCommand } from '../earshot-command.js';
import { readOutboxStats, type OutboxStats } from '../../mqtt/outbox/outbox-stats.js';
import { outboxDirFlags, outboxDirOf } from '../outbox-dir.js';
import { NewerFormatError } from '../../state-format.js';

export default class Outbox extends EarshotCommand {
  static override summary = 'Show the MQTT outbox: transcripts waiting for the broker, the oldest, bytes, and drops.';
  static override description =
    'Reads <dataDir>/outbox directly, so it works whether or not the daemon runs. Drops are transcripts pushed out by mqtt.outbox.maxBytes or maxAgeHours while the broker was unreachable, or set aside because the broker refuses their size (too-large, connection-closed; those are kept in outbox/rejected/: see earshot outbox rejected, requeue and delete).';
  static override enableJsonFlag = true;
  static override flags = outboxDirFlags;
  static override examples = ['<%= config.bin %> outbox', '<%= config.bin %> outbox --json', '<%= config.bin %> outbox --data-dir /var/lib/earshot'];

  async run(): Promise<OutboxStats> {
    const { flags } = await this.parse(Outbox);
    const dir = outboxDirOf(this, flags);
    let stats: OutboxStats;
    try {
      stats = readOutboxStats(dir);
    } catch (err) {
      // Permissions are the likely cause, but not of a file a newer release wrote.
      const hint = err instanceof NewerFormatError ? 'run the newer earshot that wrote it' : 'run as the earshot user or with sudo; check --data-dir';
      this.error(`cannot read the outbox in ${dir}: ${(err as Error).message}`, { exit: 1, suggestions: [hint] });
    }
    this.log(`outbox ${stats.dir}`);
    this.log(`  depth   ${stats.depth} transcript(s) waiting for the broker`);
    this.log(`  bytes   ${stats.bytes} pending, ${stats.fileBytes} on disk`);
    this.log(`  oldest  ${stats.oldest ? `${stats.oldest.id} from ${stats.oldest.at} (${stats.oldest.ageSec} s ago)` : '-'}`);
    const reasons = Object.entries(stats.drops.byReason).map(([r, n]) => `${r}: ${n}`).join(', ');
    this.log(`  drops   ${stats.drops.count}${stats.drops.count ? ` (${stats.drops.bytes} bytes; ${reasons}; last ${stats.drops.lastAt})` : ''}`);
    if (stats.rejected.count > 0) this.log(`  rejected ${stats.rejected.count} refused by the broker for their size, kept in ${stats.rejected.dir} (earshot outbox rejected)`);
    if (stats.damagedBytes > 0) this.log(`  damaged ${stats.damagedBytes} byte(s) unreadable (a torn write; the daemon skips them at start)`);
    return stats;
  }
}
