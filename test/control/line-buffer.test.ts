import t from 'tap';
import { LineBuffer } from '../../daemon/control/line-buffer.js';

const drain = (b: LineBuffer) => {
  const lines: string[] = [];
  for (let line = b.takeLine(); line; line = b.takeLine()) lines.push(line.toString());
  return lines;
};

t.test('lines sent one byte at a time come out whole', async (t) => {
  const b = new LineBuffer();
  const text = `${'a'.repeat(5000)}\nshort\n${'b'.repeat(3000)}`;
  const lines: string[] = [];
  for (const byte of Buffer.from(text)) {
    b.append(Buffer.from([byte]));
    lines.push(...drain(b));
  }
  t.same(lines, ['a'.repeat(5000), 'short']);
  t.equal(b.length, 3000, 'the unfinished line is held');
  t.equal(b.partialLength, 3000);
  b.append(Buffer.from('\n'));
  t.same(drain(b), ['b'.repeat(3000)]);
  t.equal(b.length, 0);
  t.equal(b.partialLength, 0);
});

t.test('several lines in one chunk, and a line split across chunks', async (t) => {
  const b = new LineBuffer();
  b.append(Buffer.from('one\ntwo\nthr'));
  t.equal(b.partialLength, 3);
  t.equal(b.takeLine()?.toString(), 'one');
  b.append(Buffer.from('ee\n\nfour'));
  t.same(drain(b), ['two', 'three', '']);
  t.equal(b.partialLength, 4);
  t.equal(b.length, 4);
});

t.test('a line taken stays intact when the buffer is reused', async (t) => {
  const b = new LineBuffer();
  b.append(Buffer.from('first\n'));
  const first = b.takeLine()!;
  b.append(Buffer.from('XXXXXXXX\n'));
  t.equal(first.toString(), 'first');
  t.equal(b.takeLine()?.toString(), 'XXXXXXXX');
});
