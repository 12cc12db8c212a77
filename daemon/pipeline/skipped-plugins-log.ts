import type { Logger } from '../log/logger.js';
import type { SkippedPlugin } from '../plugins/types.js';

/**
 * Says at WARN when transcripts start going out without some plugins, or without a different
 * set of them; while the same plugins stay skipped (a plugin set aside after failures is
 * skipped on every transcript until it is enabled again), each transcript gets a DEBUG line
 * only. Each failure itself is logged by the plugin host, and every transcript names what it
 * skipped in `pluginsSkipped`.
 */
export class SkippedPluginsLog {
  /** The plugins the last transcript skipped, as a key; '' when it skipped none. */
  private last = '';

  constructor(private readonly logger: Logger) {}

  transcript(jobId: string, skipped: readonly SkippedPlugin[]): void {
    const key = [...new Set(skipped.map((s) => s.plugin))].sort().join('\n');
    const changed = key !== this.last;
    this.last = key;
    if (skipped.length === 0) return;
    const fields = { jobId, skipped: skipped.map((s) => `${s.plugin}: ${s.reason}`).join('; ') };
    if (changed) this.logger.warn('plugins skipped for a transcript (logged again when the plugins skipped change)', fields);
    else this.logger.debug('plugins skipped for a transcript', fields);
  }
}
