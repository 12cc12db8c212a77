import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { LogSink } from '../../daemon/log/logger.js';
import { SegmentStore } from '../../daemon/pipeline/segment-store.js';

t.test("a segment's sidecar carries its format; one without (an older release's) is read as before; a newer one is refused, named", async (t) => {
  const dir = join(tempDir(), 'segments');
  const store = new SegmentStore(dir);
  await store.open();
  const wav = await store.save('s-1', { sourceId: 'door', startSec: 1.5, endSec: 2, startedAt: '2026-11-26T09:00:00.000Z', sampleRate: 16000, samples: new Float32Array(8000), recording: 'a.wav' });
  t.same(JSON.parse(readFileSync(`${wav}.json`, 'utf8')), { format: 1, sourceId: 'door', offsetSec: 1.5, startedAtMs: Date.parse('2026-11-26T09:00:00.000Z'), recording: 'a.wav' });
  const queued = { id: 's-1', sourceId: 'x', submittedAt: '2026-11-26T09:00:03.000Z' };
  const expected = { id: 's-1', sourceId: 'door', path: wav, kind: 'segment', offsetSec: 1.5, startedAtMs: Date.parse('2026-11-26T09:00:00.000Z'), recording: 'a.wav' };
  t.same(await store.describe(queued), expected);

  writeFileSync(`${wav}.json`, JSON.stringify({ sourceId: 'door', offsetSec: 1.5, startedAtMs: Date.parse('2026-11-26T09:00:00.000Z'), recording: 'a.wav' }));
  t.same(await store.describe(queued), expected, 'as an older release wrote it');

  writeFileSync(`${wav}.json`, JSON.stringify({ format: 2, source: { id: 'door' }, offsetMs: 1500 }));
  await t.rejects(store.describe(queued), { name: 'NewerFormatError', message: `${wav}.json is in format 2, written by a newer earshotd; this one reads format 1 at most` });
});

t.test('a sidecar a power cut left empty, cut short or zero-filled: the segment is still transcribed, as queued, and the file named', async (t) => {
  const dir = join(tempDir(), 'segments');
  const lines: string[] = [];
  const store = new SegmentStore(dir, new LogSink({ level: 'info', format: 'text', syslogPrefix: false, write: (line) => void lines.push(line) }).logger('pipeline'));
  await store.open();
  const wav = await store.save('s-1', { sourceId: 'door', startSec: 1.5, endSec: 2, startedAt: '2026-11-26T09:00:00.000Z', sampleRate: 16000, samples: new Float32Array(8000) });
  const queued = { id: 's-1', sourceId: 'door', submittedAt: '2026-11-26T09:00:03.000Z', recording: 'a.wav' };
  for (const damaged of ['', '{"format":1,"sourceId":"do', '\0'.repeat(64)]) {
    writeFileSync(`${wav}.json`, damaged);
    t.same(await store.describe(queued), { id: 's-1', sourceId: 'door', path: wav, kind: 'segment', offsetSec: 0, startedAtMs: Date.parse('2026-11-26T09:00:03.000Z'), recording: 'a.wav' }, JSON.stringify(damaged));
    t.match(lines.pop(), `WARN  earshot:pipeline ${wav}.json cannot be read (`, 'named');
  }
});
