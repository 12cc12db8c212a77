import type { PublishRefusedError } from '../publish-refused.js';

/** What `earshot status` says while the broker refuses transcripts. */
export interface PublishRefusal {
  /** The latest refusal: its topic and the broker's reason. */
  topic: string;
  reason: string;
  code: number;
  /** Outbox entries refused and still waiting for a retry. */
  waiting: number;
  /** When the first of them was refused. */
  since: string;
}

/**
 * The outbox entries the broker refused (an ACL, say), each with its latest refusal. They
 * stay in the outbox, since the broker side may be fixed, but are set apart from the rest so
 * that a pile of them at the head cannot fill the publish window and hold the others up.
 */
export class PublishRefusals {
  private readonly byId = new Map<string, { topic: string; reason: string; code: number; at: number }>();

  /** Records a refusal; true when it is news (not the same answer for the same entry again). */
  record(id: string, err: PublishRefusedError): boolean {
    const before = this.byId.get(id);
    // Moved to the end: the last one is the latest refusal.
    this.byId.delete(id);
    this.byId.set(id, { topic: err.topic, reason: err.reason, code: err.code, at: before?.at ?? Date.now() });
    return before?.code !== err.code;
  }

  /** The entry left the outbox without being delivered (a bound dropped it, or it was set aside). */
  forget(id: string): void {
    this.byId.delete(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * The broker took a publish to `topic`: those it refused on the same topic may go again now
   * (their cause is gone). Refusals on other topics stay. True when any were cleared.
   */
  delivered(id: string, topic: string): boolean {
    let cleared = this.byId.delete(id);
    for (const [other, r] of this.byId) {
      if (r.topic === topic) cleared = this.byId.delete(other) || cleared;
    }
    return cleared;
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * The refusals summed up; null when there are none. Only entries still in the outbox are
   * held: delivered ones leave by `delivered`, dropped ones by `forget` (OutboxDrainer).
   */
  current(): PublishRefusal | null {
    const all = [...this.byId.values()];
    const latest = all.at(-1);
    if (!latest) return null;
    return { topic: latest.topic, reason: latest.reason, code: latest.code, waiting: all.length, since: new Date(Math.min(...all.map((r) => r.at))).toISOString() };
  }
}
