import t from 'tap';
import { existsSync, readFileSync, readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolWatcher, type SpoolFile } from '../../../daemon/audio/sources/spool-watcher.js';
import { checkFileName } from '../../../daemon/audio/sources/types.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { tempDir } from '../../helpers/paths.js';

/** Sets a file's mtime into the past, as if its writer finished a while ago. */
const age = (path: string, ms: number) => utimesSync(path, new Date(Date.now() - ms), new Date(Date.now() - ms));

t.test('complete files are handled oldest first and moved to done/ or failed/ with a reason', async (t) => {
  const dir = tempDir();
  const handled: SpoolFile[] = [];
  const watcher = new SpoolWatcher({
    id: 'branch-7',
    dir,
    settleMs: 200,
    logger: silentLogger,
    handler: async (file) => {
      handled.push(file);
      if (file.name.startsWith('bad')) throw new Error('not a WAV file: starts with "JUNK"');
    },
  });
  writeFileSync(join(dir, 'b.wav'), 'bbbb');
  writeFileSync(join(dir, 'bad.wav'), 'JUNK');
  writeFileSync(join(dir, 'a.wav'), 'aaaa');
  age(join(dir, 'b.wav'), 5000);
  age(join(dir, 'bad.wav'), 4000);
  age(join(dir, 'a.wav'), 3000);
  writeFileSync(join(dir, 'c.wav.part'), 'still recording');
  writeFileSync(join(dir, 'fresh.wav'), 'just written');
  await watcher.start();
  t.teardown(() => watcher.stop());
  await watcher.scan();
  t.same(handled.map((f) => f.name), ['b.wav', 'bad.wav', 'a.wav'], 'old files at once, oldest first; .part and fresh files wait');
  t.equal(handled[0]!.sourceId, 'branch-7');
  t.same(readdirSync(join(dir, 'done')).sort(), ['a.wav', 'b.wav']);
  t.same(readdirSync(join(dir, 'failed')).sort(), ['bad.wav', 'bad.wav.reason.txt']);
  t.match(readFileSync(join(dir, 'failed', 'bad.wav.reason.txt'), 'utf8'), /branch-7 bad\.wav\nnot a WAV file: starts with "JUNK"/);

  // The recorder finishes: renames .part away; the fresh file stops changing.
  renameSync(join(dir, 'c.wav.part'), join(dir, 'c.wav'));
  age(join(dir, 'c.wav'), 1000);
  await new Promise((r) => setTimeout(r, 300));
  await watcher.scan();
  t.same(handled.slice(3).map((f) => f.name).sort(), ['c.wav', 'fresh.wav']);
  t.notOk(existsSync(join(dir, 'c.wav')));
});

t.test('a file that keeps growing is not picked up until it settles', async (t) => {
  const dir = tempDir();
  const handled: string[] = [];
  const watcher = new SpoolWatcher({ id: 'grow', dir, settleMs: 300, pollMs: 50, logger: silentLogger, handler: async (f) => void handled.push(f.name) });
  const path = join(dir, 'rec.wav');
  writeFileSync(path, 'x');
  await watcher.start();
  t.teardown(() => watcher.stop());
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(path, 'x'.repeat(i + 2));
  }
  t.same(handled, [], 'still being written');
  const end = Date.now() + 3000;
  while (handled.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  t.same(handled, ['rec.wav'], 'picked up by the poll loop once quiet');
  t.ok(existsSync(join(dir, 'done', 'rec.wav')));
});

t.test('same name twice: the second goes to done/ under a free name', async (t) => {
  const dir = tempDir();
  // start() creates done/ and failed/; the scans below are one-shot watchers on the same folder.
  const watcher = new SpoolWatcher({ id: 'dup', dir, settleMs: 0, logger: silentLogger, handler: async () => undefined });
  await watcher.start();
  await watcher.stop();
  for (let i = 0; i < 2; i++) {
    writeFileSync(join(dir, 'call.wav'), String(i));
    age(join(dir, 'call.wav'), 1000);
    await new SpoolWatcher({ id: 'dup', dir, settleMs: 0, logger: silentLogger, handler: async () => undefined }).scan();
  }
  t.same(readdirSync(join(dir, 'done')).sort(), ['call-1.wav', 'call.wav']);
  t.equal(readFileSync(join(dir, 'done', 'call-1.wav'), 'utf8'), '1');
});

t.test('names that would leave the folder are refused', async (t) => {
  for (const bad of ['..', '.', '', 'a/b', 'a\\b', 'x\0y']) t.throws(() => checkFileName(bad), /is not allowed/, JSON.stringify(bad));
  t.equal(checkFileName('ok name.wav'), 'ok name.wav');
});

t.test('a recording that meets a shortage of the box (no descriptors, no memory, disk full) stays for the next scan', async (t) => {
  const dir = tempDir();
  let shortage: string | null = 'EMFILE';
  const handled: string[] = [];
  const watcher = new SpoolWatcher({
    id: 'short',
    dir,
    settleMs: 0,
    retryMs: { min: 0, max: 0 },
    logger: silentLogger,
    handler: async (file) => {
      handled.push(file.name);
      // As openAudioFile reports it: the file named, the errno code kept as the cause.
      if (shortage) throw new Error(`${file.path}: cannot open: too many open files`, { cause: Object.assign(new Error(shortage), { code: shortage }) });
    },
  });
  writeFileSync(join(dir, 'rec.wav'), 'RIFF');
  age(join(dir, 'rec.wav'), 1000);
  await watcher.start();
  t.teardown(() => watcher.stop());
  for (const code of ['EMFILE', 'ENFILE', 'ENOMEM', 'EDQUOT', 'ENOSPC']) {
    shortage = code;
    await watcher.scan();
    t.ok(existsSync(join(dir, 'rec.wav')), `${code}: still in the spool`);
    t.notOk(existsSync(join(dir, 'failed', 'rec.wav')), `${code}: not failed`);
  }
  shortage = null;
  await watcher.scan();
  t.ok(existsSync(join(dir, 'done', 'rec.wav')), 'done once the shortage is over');
  t.ok(handled.length >= 6, `tried at every scan (${handled.length} tries)`);
});

t.test('a recording kept after a shortage waits before its next try, longer each time', async (t) => {
  const dir = tempDir();
  let tries = 0;
  const watcher = new SpoolWatcher({
    id: 'backoff',
    dir,
    settleMs: 0,
    retryMs: { min: 300, max: 1000 },
    logger: silentLogger,
    handler: async () => {
      tries++;
      throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    },
  });
  writeFileSync(join(dir, 'rec.wav'), 'RIFF');
  age(join(dir, 'rec.wav'), 1000);
  await watcher.start();
  t.teardown(() => watcher.stop());
  await watcher.scan();
  const first = tries;
  t.ok(first >= 1, 'tried');
  await watcher.scan();
  await watcher.scan();
  t.equal(tries, first, 'not again at the next scans: it waits');
  await new Promise((r) => setTimeout(r, 350));
  await watcher.scan();
  t.equal(tries, first + 1, 'tried again once the wait is over');
  await new Promise((r) => setTimeout(r, 350));
  await watcher.scan();
  t.equal(tries, first + 1, 'the second wait is longer (600 ms)');
  t.ok(existsSync(join(dir, 'rec.wav')), 'and the recording is still there');
});
