import t from 'tap';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freeName } from '../../../daemon/audio/sources/free-name.js';
import { tempDir } from '../../helpers/paths.js';

t.test('the name itself when free, else the first free -N before the extension; a companion counts', async (t) => {
  const dir = tempDir();
  t.equal(await freeName(dir, 'call.wav'), 'call.wav');
  for (const n of ['call.wav', 'call-1.wav', 'call-2.wav']) writeFileSync(join(dir, n), '');
  t.equal(await freeName(dir, 'call.wav'), 'call-3.wav');
  // A dangling link or a folder takes a name as a file does.
  symlinkSync('/nonexistent', join(dir, 'call-3.wav'));
  mkdirSync(join(dir, 'call-4.wav'));
  t.equal(await freeName(dir, 'call.wav'), 'call-5.wav');
  writeFileSync(join(dir, 'call-5.wav.reason.txt'), '');
  t.equal(await freeName(dir, 'call.wav', '.reason.txt'), 'call-6.wav', "a name whose reason file is there is taken");
  t.equal(await freeName(dir, 'other'), 'other', 'no extension');
});

t.test('a recorder that always writes the same name: the next free suffix, in a few lookups', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'rec.wav'), '');
  for (let i = 1; i <= 1500; i++) writeFileSync(join(dir, `rec-${i}.wav`), '');
  t.equal(await freeName(dir, 'rec.wav'), 'rec-1501.wav');
});

t.test('the time to find a name does not grow with what else done/ holds', async (t) => {
  // done/ after months: many recordings of other names. Finding a name must not cost a
  // listing of them all for every recording moved (it cost 1 s at 360,000 files).
  const dir = tempDir();
  for (let i = 0; i < 40_000; i++) writeFileSync(join(dir, `2025-01-01T00-00-${String(i).padStart(6, '0')}.wav`), '');
  const timed = async (fn: () => Promise<unknown>): Promise<number> => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 10; i++) await fn();
    return Number(process.hrtime.bigint() - start) / 10 / 1e6;
  };
  // One listing of the folder, measured here, is the yardstick: a name must cost much less.
  const listing = await timed(() => readdir(dir));
  const naming = await timed(() => freeName(dir, 'new-recording.wav'));
  t.ok(naming * 10 < listing, `a name takes ${naming.toFixed(2)} ms, a listing of 40,000 files ${listing.toFixed(2)} ms`);
  t.equal(readdirSync(dir).length, 40_000, 'nothing was written');
});
