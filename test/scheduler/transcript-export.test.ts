import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { readTranscripts, transcriptsToCsv } from '../../daemon/scheduler/transcript-export.js';

const job = (id: string) => ({ id, input: `/srv/${id}.wav`, priority: 'batch', deadline: '2026-11-26T00:00:00Z', submittedAt: '2026-11-25T00:00:00Z', attempts: 1 });

t.test('export reads segments, MQTT transcript payloads or plain text; CSV quotes what needs it', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'done'), { recursive: true });
  const put = (id: string, finishedAt: string, result: unknown): void => writeFileSync(join(dir, 'done', `${id}.json`), JSON.stringify({ job: job(id), finishedAt, result }));
  put('a', '2026-11-25T01:00:00Z', { output: { segments: [{ startSec: 0.5, endSec: 1.25, text: 'hello, "world"' }] }, energy: { joules: 12.5, source: 'measured', gCO2e: 0.0007 } });
  put('b', '2026-11-25T02:00:00Z', { output: { transcripts: [{ startOffsetSec: 3, endOffsetSec: 4.5, text: 'second' }] } });
  put('c', '2026-11-25T03:00:00Z', { output: { text: 'only text' } });
  writeFileSync(join(dir, 'done', 'torn.json'), '{"job":');
  const items = await readTranscripts(dir);
  t.same(items.map((i) => [i.id, i.text, i.segments.length]), [['a', 'hello, "world"', 1], ['b', 'second', 1], ['c', 'only text', 0]]);
  t.same(items[1]?.segments, [{ start: 3, end: 4.5, text: 'second' }]);
  const csv = transcriptsToCsv(items).split('\r\n');
  t.equal(csv[0], 'job_id,input,finished_at,start_sec,end_sec,text,joules,energy_source,gco2e,recording', 'recording is the last column: scripts reading by place keep working');
  // A file submitted by path is its own recording.
  t.equal(csv[1], 'a,/srv/a.wav,2026-11-25T01:00:00Z,0.500,1.250,"hello, ""world""",12.500,measured,0.000700,/srv/a.wav');
  t.equal(csv[3], 'c,/srv/c.wav,2026-11-25T03:00:00Z,0.000,0.000,only text,,,,/srv/c.wav');
  t.same((await readTranscripts(dir, Date.parse('2026-11-25T01:30:00Z'))).map((i) => i.id), ['b', 'c']);
  t.same(await readTranscripts(join(dir, 'nothing-here')), []);
});

t.test('a done record a newer release wrote is left out of the export, and named', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'done'), { recursive: true });
  const result = { output: { text: 'words' } };
  writeFileSync(join(dir, 'done', 'old.json'), JSON.stringify({ job: job('old'), finishedAt: '2026-11-25T01:00:00Z', result }));
  writeFileSync(join(dir, 'done', 'now.json'), JSON.stringify({ format: 1, job: job('now'), finishedAt: '2026-11-25T02:00:00Z', result }));
  writeFileSync(join(dir, 'done', 'later.json'), JSON.stringify({ format: 2, job: job('later'), finishedAt: '2026-11-25T03:00:00Z', result }));
  const named: string[] = [];
  t.same((await readTranscripts(dir, 0, (err) => named.push(err.message))).map((i) => i.id), ['old', 'now']);
  t.same(named, [`${join(dir, 'done', 'later.json')} is in format 2, written by a newer earshotd; this one reads format 1 at most`]);
});

t.test('a done record a power cut left empty, cut short or zero-filled is left out of the export, and named', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'done'), { recursive: true });
  const whole = JSON.stringify({ format: 1, job: job('whole'), finishedAt: '2026-11-25T02:00:00Z', result: { output: { text: 'words' } } });
  writeFileSync(join(dir, 'done', 'whole.json'), whole);
  writeFileSync(join(dir, 'done', 'empty.json'), '');
  writeFileSync(join(dir, 'done', 'short.json'), whole.slice(0, 40));
  writeFileSync(join(dir, 'done', 'zeros.json'), Buffer.alloc(64));
  const named: string[] = [];
  t.same((await readTranscripts(dir, 0, (err) => named.push(err.message))).map((i) => i.id), ['whole'], 'the whole record is exported');
  t.same(
    named.map((m) => m.split(' cannot be read (')[0]).sort(),
    ['empty.json', 'short.json', 'zeros.json'].map((n) => join(dir, 'done', n)),
    'each of the others named, as not readable',
  );
});
