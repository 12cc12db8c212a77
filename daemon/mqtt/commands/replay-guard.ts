/**
 * Stops replays of signed commands: a command is accepted once, only while its timestamp is
 * within `maxSkewMs` of our clock, and never if it was signed before this guard started (the
 * nonce memory does not survive a restart, so older commands could otherwise be replayed to
 * a freshly restarted daemon). Nonces are remembered until their timestamp leaves the window.
 */
export type ReplayVerdict = 'ok' | 'stale' | 'replayed';

export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxSkewMs: number,
    private readonly notBefore: number,
  ) {}

  check(ts: number, nonce: string, now = Date.now()): ReplayVerdict {
    this.prune(now);
    if (Math.abs(now - ts) > this.maxSkewMs || ts < this.notBefore) return 'stale';
    if (this.seen.has(nonce)) return 'replayed';
    this.seen.set(nonce, ts);
    return 'ok';
  }

  get remembered(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    for (const [nonce, ts] of this.seen) {
      if (now - ts > this.maxSkewMs) this.seen.delete(nonce);
    }
  }
}
