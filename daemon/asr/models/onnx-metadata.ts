/**
 * Reads the custom `metadata_props` of an ONNX model file (ModelProto field 14), which
 * onnxruntime-node does not expose. sherpa-onnx and FunASR exports keep their settings there
 * (`model_type`, `vocab_size`, `subsampling_factor`, `lfr_window_size`, ...).
 *
 * Only the top level of the protobuf is walked and the graph (field 7) is skipped by its
 * length, so reading the metadata of a 500 MB model touches a few kilobytes.
 * Wire format: https://protobuf.dev/programming-guides/encoding/
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const METADATA_PROPS = 14;

class FileCursor {
  pos = 0;
  private readonly one = Buffer.alloc(1);
  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly path: string,
  ) {}

  byte(): number {
    if (this.pos >= this.size) throw new Error(`${this.path}: truncated ONNX file (ended inside a field at byte ${this.pos})`);
    readSync(this.fd, this.one, 0, 1, this.pos++);
    return this.one[0]!;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error(`${this.path}: malformed varint at byte ${this.pos}; not an ONNX model`);
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.size) throw new Error(`${this.path}: truncated ONNX file (a ${n}-byte field at byte ${this.pos} runs past the end)`);
    const b = Buffer.alloc(n);
    readSync(this.fd, b, 0, n, this.pos);
    this.pos += n;
    return b;
  }
}

/** Parses one StringStringEntryProto {1: key, 2: value}. */
function parseEntry(buf: Buffer): [string, string] {
  let pos = 0;
  let key = '';
  let value = '';
  while (pos < buf.length) {
    let tag = 0;
    let mul = 1;
    for (;;) {
      const b = buf[pos++]!;
      tag += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
    }
    let len = 0;
    mul = 1;
    for (;;) {
      const b = buf[pos++]!;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
    }
    const s = buf.toString('utf8', pos, pos + len);
    pos += len;
    if (tag >>> 3 === 1) key = s;
    else if (tag >>> 3 === 2) value = s;
  }
  return [key, value];
}

/** All metadata_props of the ONNX file at `path`, in file order. */
export function readOnnxMetadata(path: string): Map<string, string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new Error(`${path}: cannot open ONNX model (${(err as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new Error(`${path}: empty file; the model download or copy is incomplete`);
    const c = new FileCursor(fd, size, path);
    const out = new Map<string, string>();
    while (c.pos < size) {
      const tag = c.varint();
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 0) throw new Error(`${path}: not an ONNX model (field 0 at byte ${c.pos})`);
      if (wire === 0) c.varint();
      else if (wire === 1) c.pos += 8;
      else if (wire === 5) c.pos += 4;
      else if (wire === 2) {
        const len = c.varint();
        if (field === METADATA_PROPS) {
          const [k, v] = parseEntry(c.bytes(len));
          out.set(k, v);
        } else {
          if (c.pos + len > size) throw new Error(`${path}: truncated ONNX file (field ${field} claims ${len} bytes, ${size - c.pos} left)`);
          c.pos += len;
        }
      } else throw new Error(`${path}: not an ONNX model (wire type ${wire} at byte ${c.pos})`);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
