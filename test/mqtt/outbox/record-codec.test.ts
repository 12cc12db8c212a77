import t from 'tap';
import { decodeRecords, encodeRecord, RecordType } from '../../../daemon/mqtt/outbox/record-codec.js';

t.test('records round-trip; a torn tail is reported and the good records kept', async (t) => {
  const a = encodeRecord(RecordType.Put, { id: 'a', n: 1 });
  const b = encodeRecord(RecordType.Ack, { id: 'a' });
  const c = encodeRecord(RecordType.Put, { id: 'c', text: 'déjà vu' });
  const whole = Buffer.concat([a, b, c]);
  const all = decodeRecords(whole);
  t.same(all.records.map((r) => r.data), [{ id: 'a', n: 1 }, { id: 'a' }, { id: 'c', text: 'déjà vu' }]);
  t.same(all.records.map((r) => r.type), [RecordType.Put, RecordType.Ack, RecordType.Put]);
  t.same(all.skipped, []);
  t.equal(all.validEnd, whole.length);

  // Every cut inside the last record loses only that record.
  for (const cut of [1, 5, 10, c.length - 1]) {
    const torn = whole.subarray(0, a.length + b.length + cut);
    const r = decodeRecords(torn);
    t.equal(r.records.length, 2, `cut after ${cut} bytes of the last record`);
    t.same(r.skipped, [{ offset: a.length + b.length, length: cut }]);
    t.equal(r.validEnd, a.length + b.length);
  }
});

t.test('a flipped byte in the middle fails the CRC; decoding resumes at the next record', async (t) => {
  const recs = [0, 1, 2].map((i) => encodeRecord(RecordType.Put, { id: `r${i}`, payload: 'x'.repeat(20) }));
  const buf = Buffer.concat(recs);
  buf[recs[0]!.length + 15] ^= 0xff;
  const r = decodeRecords(buf);
  t.same(r.records.map((x) => (x.data as { id: string }).id), ['r0', 'r2']);
  t.same(r.skipped, [{ offset: recs[0]!.length, length: recs[1]!.length }]);
});

t.test('a whole record of a type this version does not know is reported apart, not as damage', async (t) => {
  const a = encodeRecord(RecordType.Put, { id: 'a' });
  // What a later release might add: framed and checksummed as every record is.
  const later = encodeRecord(9 as number as RecordType, { id: 'b' });
  const c = encodeRecord(RecordType.Put, { id: 'c' });
  const r = decodeRecords(Buffer.concat([a, later, c]));
  t.same(r.records.map((x) => (x.data as { id: string }).id), ['a', 'c']);
  t.same(r.unknown, [{ offset: a.length, type: 9 }]);
  t.same(r.skipped, [], 'nothing skipped: a rewrite of the log would keep it');
  t.equal(r.validEnd, a.length + later.length + c.length);
});
