/**
 * Retained messages from clients other than the daemon: aedes keeps them in memory for good,
 * so without a bound anyone who reaches the port could grow the daemon without end (ten
 * retained 20 MB publishes on junk topics cost it 200 MB). Room for a carbon-intensity feed
 * or a dashboard's few retained values, not for a store.
 */
export const MAX_OUTSIDER_RETAINED_TOPICS = 1000;
export const MAX_OUTSIDER_RETAINED_BYTES = 4 * 1024 * 1024;

export class RetainedBudget {
  private readonly bytesByTopic = new Map<string, number>();
  private total = 0;

  /**
   * Whether a retained message of `bytes` on `topic` fits, counting it if so. It replaces
   * what the topic retained before; an empty one clears the topic (MQTT 3.1.1 §3.3.1.3).
   */
  take(topic: string, bytes: number): boolean {
    const before = this.bytesByTopic.get(topic);
    if (bytes === 0) {
      if (before !== undefined) this.total -= before;
      this.bytesByTopic.delete(topic);
      return true;
    }
    const topics = this.bytesByTopic.size + (before === undefined ? 1 : 0);
    const total = this.total - (before ?? 0) + bytes;
    if (topics > MAX_OUTSIDER_RETAINED_TOPICS || total > MAX_OUTSIDER_RETAINED_BYTES) return false;
    this.bytesByTopic.set(topic, bytes);
    this.total = total;
    return true;
  }

  describe(): string {
    return `${MAX_OUTSIDER_RETAINED_TOPICS} topics and ${MAX_OUTSIDER_RETAINED_BYTES / 1024 / 1024} MiB`;
  }
}
