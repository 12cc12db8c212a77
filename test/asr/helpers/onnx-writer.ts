/**
 * Writes a real ONNX model from test code: y = x · W with W an [n, n] float initializer, so a
 * test can make a model of a chosen size without Python. Protobuf encoding by hand
 * (https://protobuf.dev/programming-guides/encoding/), field numbers from onnx/onnx.proto.
 * The weights are streamed to the file as zeros, so writing a large model costs the test
 * process no memory of its own.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

/** A message: byte pieces plus runs of zero bytes that are only counted, never allocated. */
type Part = Buffer | { zeros: number };

const size = (parts: Part[]) => parts.reduce((s, p) => s + (Buffer.isBuffer(p) ? p.length : p.zeros), 0);

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function int(num: number, value: number): Part[] {
  return [varint(num * 8), varint(value)];
}

function bytes(num: number, payload: Part[] | string): Part[] {
  const parts = typeof payload === 'string' ? [Buffer.from(payload, 'utf8')] : payload;
  return [varint(num * 8 + 2), varint(size(parts)), ...parts];
}

function valueInfo(name: string, dims: number[]): Part[] {
  const shape = dims.flatMap((d) => bytes(1, int(1, d)));
  const tensorType = [...int(1, 1), ...bytes(2, shape)]; // elem_type FLOAT, shape
  return [...bytes(1, name), ...bytes(2, bytes(1, tensorType))];
}

export function writeMatMulModel(path: string, n: number, metadata: Record<string, string> = {}): void {
  const initializer = [...int(1, n), ...int(1, n), ...int(2, 1), ...bytes(8, 'w'), ...bytes(9, [{ zeros: n * n * 4 }])];
  const node = [...bytes(1, 'x'), ...bytes(1, 'w'), ...bytes(2, 'y'), ...bytes(4, 'MatMul')];
  const graph = [...bytes(1, node), ...bytes(2, 'g'), ...bytes(5, initializer), ...bytes(11, valueInfo('x', [1, n])), ...bytes(12, valueInfo('y', [1, n]))];
  const opset = [...bytes(1, ''), ...int(2, 13)];
  const props = Object.entries(metadata).flatMap(([k, v]) => bytes(14, [...bytes(1, k), ...bytes(2, v)]));
  const model = [...int(1, 7), ...bytes(8, opset), ...bytes(7, graph), ...props];
  const fd = openSync(path, 'w');
  const zeros = Buffer.alloc(1 << 20);
  try {
    for (const p of model) {
      if (Buffer.isBuffer(p)) writeSync(fd, p);
      else for (let left = p.zeros; left > 0; left -= zeros.length) writeSync(fd, zeros, 0, Math.min(left, zeros.length));
    }
  } finally {
    closeSync(fd);
  }
}
