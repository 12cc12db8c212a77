/**
 * Reads exact byte counts from a stream of chunks of any size, pulling only as much as it
 * needs: a tar header is 512 bytes wherever the decompressor happened to cut its output.
 */
export class ByteReader {
  private held: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /**
   * Between 1 and max of the next bytes, as they come (none at the end): file data is
   * passed on without being copied into blocks of a set size.
   */
  async readSome(max: number): Promise<Buffer> {
    if (this.held.length === 0 && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else this.held = next.value;
    }
    const out = this.held.subarray(0, max);
    this.held = this.held.subarray(out.length);
    return out;
  }

  /** The next n bytes; fewer only where the stream ends first (none at its end). */
  async read(n: number): Promise<Buffer> {
    const parts = [this.held];
    let have = this.held.length;
    while (have < n && !this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
      } else {
        parts.push(next.value);
        have += next.value.length;
      }
    }
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
    const take = Math.min(n, all.length);
    this.held = all.subarray(take);
    return all.subarray(0, take);
  }
}
