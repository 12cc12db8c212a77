import type { CloseInfo } from '../connection.js';

/**
 * MQTT 3.1.1 gives a broker no way to refuse a publish by its size: Mosquitto (max_packet_size)
 * just closes the connection, and the client sends the same publish again at every reconnect,
 * for ever, with every transcript after it waiting behind it. A network that drops connections
 * looks much the same, so a message is only set aside on evidence:
 * 1. it is blamed for `CLOSES_TO_SUSPECT` closes in a row: the broker had answered the CONNECT
 *    (so it was sent), the other end closed the connection (not our keepalive giving up on a
 *    dead path), and it was the first message out bigger than every packet this broker
 *    acknowledged since the start (a broker that took one as big is not refusing it by size);
 * 2. then it is held back until the connection without it works: another message is
 *    acknowledged, or it stays up `PROBATION_MS`. Should the connection drop again with no
 *    other suspect out (another long one is blamed in turn and held back too), the network is
 *    to blame: those held go back into the flow and their counts start again;
 * 3. on trial: it is sent once more on the connection that worked without it. Only when the
 *    broker closes that one on it too is it set aside; a network that dropped a few
 *    connections in a row and then held cannot do that (it is delivered). A close with no
 *    suspect out ends the trials too: their counts start again.
 */
export const CLOSES_TO_SUSPECT = 2;
export const PROBATION_MS = 5000;

/** A message judged refused by its size: the connection closed each of the last `closes` times it was sent. */
export class ClosedOnPublishError extends Error {
  override readonly name = 'ClosedOnPublishError';

  constructor(
    readonly topic: string,
    /** Its PUBLISH packet's size. */
    readonly bytes: number,
    readonly closes: number,
    /** The largest packet the broker acknowledged (0: none yet). */
    readonly largestAcked: number,
  ) {
    super(`the broker closed the connection each of the last ${closes} times a ${bytes}-byte PUBLISH to ${topic} was sent`);
  }
}

export interface SentMessage {
  id: string;
  /** Its PUBLISH packet's size. */
  bytes: number;
}

export class SilentSizeRefusals {
  private largestAcked = 0;
  private suspect: { id: string; closes: number } | null = null;
  /** Messages held back while the connection shows whether it works without them: id → closes blamed. */
  private readonly held = new Map<string, number>();
  /** Messages sent once more after the connection worked without them: id → closes blamed. */
  private readonly onTrial = new Map<string, number>();

  get largestAckedBytes(): number {
    return this.largestAcked;
  }

  /** How many closes in a row a held message was blamed for (0: it is not held). */
  closesOf(id: string): number {
    return this.held.get(id) ?? 0;
  }

  /**
   * The broker acknowledged a publish of `bytes`: nothing up to that size is too big for it.
   * Returns the held messages when this proves the connection works without them: they are
   * on trial now, to be sent once more.
   */
  acked(id: string, bytes: number): string[] {
    this.largestAcked = Math.max(this.largestAcked, bytes);
    if (this.suspect?.id === id) this.suspect = null;
    this.onTrial.delete(id);
    return this.held.has(id) ? [] : this.putOnTrial();
  }

  /** The connection without the held messages stayed up `PROBATION_MS`: returns them, on trial now, to be sent once more. */
  stayedUp(): string[] {
    return this.putOnTrial();
  }

  /**
   * A connection ended with `inFlight` sent and not acknowledged (those held left out), in the
   * order they were sent. `hold`: a message to take back and hold; `release`: those held go
   * back into the flow; `condemn`: a message on trial the broker closed the connection on
   * again, to set aside, with the closes it was blamed for in all.
   */
  closed(info: CloseInfo, inFlight: Iterable<SentMessage>): { hold?: string; release?: string[]; condemn?: { id: string; closes: number } } {
    // Nothing was sent on a connection that never opened: it neither counts nor breaks a run.
    if (!info.opened) return {};
    let culprit: SentMessage | undefined;
    if (info.byPeer) {
      for (const m of inFlight) {
        if (m.bytes > this.largestAcked) {
          culprit = m;
          break;
        }
      }
    }
    if (!culprit) {
      this.suspect = null;
      this.onTrial.clear();
      return this.held.size > 0 ? { release: this.takeHeld() } : {};
    }
    const tried = this.onTrial.get(culprit.id);
    if (tried !== undefined) {
      this.onTrial.delete(culprit.id);
      return { condemn: { id: culprit.id, closes: tried + 1 } };
    }
    const closes = this.suspect?.id === culprit.id ? this.suspect.closes + 1 : 1;
    this.suspect = { id: culprit.id, closes };
    if (closes < CLOSES_TO_SUSPECT) return {};
    this.suspect = null;
    this.held.set(culprit.id, closes);
    return { hold: culprit.id };
  }

  private putOnTrial(): string[] {
    for (const [id, closes] of this.held) this.onTrial.set(id, closes);
    return this.takeHeld();
  }

  private takeHeld(): string[] {
    const ids = [...this.held.keys()];
    this.held.clear();
    return ids;
  }
}
