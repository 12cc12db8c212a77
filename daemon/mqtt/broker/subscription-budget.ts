/**
 * Subscriptions of clients other than the daemon: aedes keeps every one, in memory, for as
 * long as its client is connected, and for a persistent session (clean session off) for
 * sessionExpiryHours after it has gone. Without a bound, anyone who reaches the port grew the
 * daemon by 70 MB per client id with 20,000 subscriptions to 2 KB filters, a week long, and
 * without end with a new client id each time. Room for dashboards, archivers and Home
 * Assistant, which subscribe to a handful of filters each.
 */
export const MAX_FILTERS_PER_CLIENT = 1000;
export const MAX_OUTSIDER_FILTER_BYTES = 8 * 1024 * 1024;

export class SubscriptionBudget {
  private readonly byClient = new Map<string, Map<string, number>>();
  private total = 0;

  /**
   * Whether `clientId` may hold a subscription to `filter`, counting it if so: `taken`, or why
   * not (the client's own limit, or the room all clients share). One it holds already is taken
   * again at no cost (a SUBSCRIBE repeated replaces it).
   */
  take(clientId: string, filter: string): 'taken' | 'client-full' | 'all-full' {
    const held = this.byClient.get(clientId) ?? new Map<string, number>();
    if (held.has(filter)) return 'taken';
    const bytes = Buffer.byteLength(filter);
    if (held.size >= MAX_FILTERS_PER_CLIENT) return 'client-full';
    if (this.total + bytes > MAX_OUTSIDER_FILTER_BYTES) return 'all-full';
    held.set(filter, bytes);
    this.byClient.set(clientId, held);
    this.total += bytes;
    return 'taken';
  }

  /** Bytes of filters the client holds (0: none). */
  bytesHeld(clientId: string): number {
    let bytes = 0;
    for (const b of this.byClient.get(clientId)?.values() ?? []) bytes += b;
    return bytes;
  }

  /** Filters the client unsubscribed from. */
  release(clientId: string, filters: string[]): void {
    const held = this.byClient.get(clientId);
    if (!held) return;
    for (const filter of filters) {
      this.total -= held.get(filter) ?? 0;
      held.delete(filter);
    }
    if (held.size === 0) this.byClient.delete(clientId);
  }

  /** The client's session ended (clean session, or expired): all its subscriptions went with it. */
  forget(clientId: string): void {
    this.release(clientId, [...(this.byClient.get(clientId)?.keys() ?? [])]);
  }

  describe(): string {
    return `${MAX_FILTERS_PER_CLIENT} filters per client and ${MAX_OUTSIDER_FILTER_BYTES / 1024 / 1024} MiB of filters in all`;
  }
}
