import type { Readable } from 'node:stream';

/** How a command's output was let go before its end, for the log. */
export interface OutputLetGo {
  /** `idle`: its reader waited `idleMs` and nothing came; `limit`: `limitMs` passed since the exit. */
  reason: 'idle' | 'limit';
  afterExitMs: number;
  /** Read from the output since the command exited. */
  readAfterExitBytes: number;
  /** Already taken from the pipe but not yet read, and dropped; what was still in the pipe is not known. */
  droppedBytes: number;
}

export interface ExitDrainOptions {
  /** Once the command has exited, let the output go after its reader waited this long for bytes that did not come. */
  idleMs: number;
  /** Once the command has exited, let the output go this long after the exit in any case. */
  limitMs: number;
  onLetGo: (letGo: OutputLetGo) => void;
}

/**
 * Reads a command's stdout to its end, also after the command exited, and decides when to
 * stop waiting for that end. The end comes when every holder of the pipe has closed it, and
 * a process the command left behind may hold it without writing (`sleep 30 &`, or one that
 * left the process group with setsid, which the group kill does not reach); then the output
 * is let go once its reader has waited `idleMs` for nothing.
 *
 * Only time spent waiting on the pipe counts. While the consumer is busy with what was read
 * (a full live backlog, a slow disk), the rest waits in the pipe, which holds seconds of
 * audio, and is all read once the consumer gets to it. `limitMs` bounds the time after the
 * exit all the same, for an escaped process that keeps writing: the source would otherwise
 * never restart nor stop.
 */
export class ExitDrain {
  private exitedAt: number | null = null;
  private waiting = false;
  private finished = false;
  private letGo = false;
  private pastLimit = false;
  private readAfterExit = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleCheck: NodeJS.Immediate | undefined;
  private limitTimer: NodeJS.Timeout | undefined;
  private limitMs: number;

  constructor(
    private readonly output: Readable,
    private readonly options: ExitDrainOptions,
  ) {
    this.limitMs = options.limitMs;
  }

  /** The output's chunks, for its one reader; they end without an error when the output is let go. */
  async *chunks(): AsyncGenerator<Buffer> {
    try {
      this.setWaiting(true);
      for await (const chunk of this.output) {
        this.setWaiting(false);
        const bytes = chunk as Buffer; // no encoding was set on the stream
        if (this.pastLimit) {
          this.letGoNow('limit', bytes.length);
          return;
        }
        if (this.exitedAt !== null) this.readAfterExit += bytes.length;
        yield bytes;
        this.setWaiting(true);
      }
    } catch (err) {
      if (!this.letGo) throw err;
    } finally {
      this.finish();
    }
  }

  /** The command has exited: from now on the output may be let go. */
  exited(): void {
    if (this.finished || this.exitedAt !== null) return;
    this.exitedAt = Date.now();
    this.limitTimer = setTimeout(() => this.reachLimit(), this.limitMs);
    this.armIdle();
  }

  /**
   * The source is stopping: read for at most `ms` more (from now, or from the exit if it is
   * still to come), so that a stop ends well within systemd's stop timeout even while an
   * escaped process keeps writing.
   */
  hurry(ms: number): void {
    this.limitMs = Math.min(this.limitMs, ms);
    if (this.finished || this.exitedAt === null) return;
    clearTimeout(this.limitTimer);
    this.limitTimer = setTimeout(() => this.reachLimit(), ms);
  }

  /** Stops watching: the output has ended or nobody reads it any more. */
  finish(): void {
    this.finished = true;
    this.stopIdle();
    clearTimeout(this.limitTimer);
  }

  private setWaiting(waiting: boolean): void {
    this.waiting = waiting;
    this.armIdle();
  }

  private armIdle(): void {
    this.stopIdle();
    if (this.exitedAt === null || !this.waiting || this.finished) return;
    // Timers run before the loop polls for I/O: after the loop was blocked for longer than
    // idleMs, bytes may be waiting that the reader has not been told of. Look once more after
    // the poll (setImmediate), when they would have reached it.
    this.idleTimer = setTimeout(() => {
      this.idleCheck = setImmediate(() => this.letGoNow('idle'));
    }, this.options.idleMs);
  }

  private stopIdle(): void {
    clearTimeout(this.idleTimer);
    clearImmediate(this.idleCheck);
  }

  /**
   * A reader busy with the last bytes may find the end next, which 'end' does not tell before
   * it asks; so let go when more bytes turn up, not while it is busy.
   */
  private reachLimit(): void {
    this.pastLimit = true;
    if (this.waiting) this.letGoNow('limit');
  }

  private letGoNow(reason: OutputLetGo['reason'], takenBytes = 0): void {
    if (this.finished) return;
    const droppedBytes = takenBytes + this.output.readableLength;
    this.letGo = true;
    this.finish();
    this.output.destroy();
    this.options.onLetGo({ reason, afterExitMs: Date.now() - (this.exitedAt ?? Date.now()), readAfterExitBytes: this.readAfterExit, droppedBytes });
  }
}
