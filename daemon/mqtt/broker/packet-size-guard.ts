import { Transform, type TransformCallback } from 'node:stream';

/**
 * Reads the fixed header of each MQTT packet a client sends (MQTT 3.1.1 §2.2: one type byte,
 * then the remaining length in 1-4 bytes) and fails as soon as one announces more than
 * `limit` bytes, before any of that packet is passed on. aedes has no packet size limit: its
 * parser buffers a packet whole, so one client announcing 256 MB could make the daemon hold
 * it all. The bytes pass through unchanged.
 */
export class PacketSizeGuard extends Transform {
  /** Bytes of the current packet's body still to pass; -1 while a fixed header is being read. */
  private bodyLeft = -1;
  private header: number[] = [];

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= take;
        i += take;
        continue;
      }
      this.header.push(chunk[i++]!);
      if (this.header.length === 1) continue;
      const lengthByte = this.header.at(-1)!;
      if (lengthByte & 0x80 && this.header.length < 5) continue;
      if (lengthByte & 0x80) return done(new Error('malformed MQTT packet: its remaining length runs over 4 bytes'));
      const remaining = this.header.slice(1).reduce((n, b, k) => n + (b & 0x7f) * 128 ** k, 0);
      const bytes = this.header.length + remaining;
      this.header = [];
      if (bytes > this.limit) return done(new PacketOverLimitError(bytes, this.limit));
      this.bodyLeft = remaining;
    }
    done(null, chunk);
  }
}

export class PacketOverLimitError extends Error {
  override readonly name = 'PacketOverLimitError';

  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a client announced a ${bytes}-byte MQTT packet, over the embedded broker's limit of ${limit} bytes (mqtt.embedded.maxPacketBytes)`);
  }
}
