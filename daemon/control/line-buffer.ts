/**
 * Bytes received on a connection and not yet taken as lines, in one growable buffer.
 *
 * Chunks are copied in as they arrive, so a client sending one byte at a time costs one
 * byte each, not a Buffer object each (~28x the payload); capacity doubles, so a long line
 * sent in small pieces is copied O(n) times in all, not O(n²).
 */
export class LineBuffer {
  private bytes = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Where the search for the next newline resumes: bytes before it hold none. */
  private scanned = 0;
  private partial = 0;

  /** Bytes held: complete lines not yet taken plus the unfinished one. */
  get length(): number {
    return this.end - this.start;
  }

  /** Bytes after the last newline: the line the client is still sending. */
  get partialLength(): number {
    return this.partial;
  }

  append(chunk: Buffer): void {
    if (this.end + chunk.length > this.bytes.length) this.makeRoom(chunk.length);
    chunk.copy(this.bytes, this.end);
    this.end += chunk.length;
    const last = chunk.lastIndexOf(10);
    this.partial = last === -1 ? this.partial + chunk.length : chunk.length - last - 1;
  }

  /** The next complete line without its newline, or undefined when none is held. */
  takeLine(): Buffer | undefined {
    // Only up to `end`: what lies beyond is stale and must not be searched (nor found).
    const nl = this.bytes.subarray(0, this.end).indexOf(10, this.scanned);
    if (nl === -1) {
      this.scanned = this.end;
      return undefined;
    }
    // A copy: the line outlives this call (it is parsed later) and the buffer is reused.
    const line = Buffer.from(this.bytes.subarray(this.start, nl));
    this.start = this.scanned = nl + 1;
    if (this.start === this.end) this.start = this.end = this.scanned = 0;
    return line;
  }

  private makeRoom(extra: number): void {
    const held = this.length;
    const needed = held + extra;
    // Shift what is held to the front; grow only when that is not enough.
    const target = needed <= this.bytes.length ? this.bytes : Buffer.alloc(Math.max(needed, this.bytes.length * 2, 1024));
    this.bytes.copy(target, 0, this.start, this.end);
    this.bytes = target;
    this.scanned -= this.start;
    this.end = held;
    this.start = 0;
  }
}
