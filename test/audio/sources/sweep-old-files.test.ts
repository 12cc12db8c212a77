import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepOldFiles, verdict } from '../../../daemon/audio/sources/sweep-old-files.js';
import { tempDir } from '../../helpers/paths.js';
import { SmallDisk } from '../../helpers/small-disk.js';

const DAY_MS = 86_400_000;

/**
 * ctime cannot be set from user space: files "moved in" at two real moments, a little apart,
 * and a cutoff between them stand for an old and a young recording. Returns the cutoff.
 */
async function twoMoments(first: () => void, second: () => void): Promise<number> {
  first();
  // Past any coarse timestamp granularity (a second on some file systems).
  await new Promise((r) => setTimeout(r, 1100));
  const between = Date.now() - 500;
  second();
  return between;
}

/** Writes `name` in `from` and moves it into `dir`, as the spool watcher does. */
function moveIn(from: string, dir: string, name: string, bytes = 100): void {
  writeFileSync(join(from, name), Buffer.alloc(bytes, 1));
  renameSync(join(from, name), join(dir, name));
}

t.test('files are aged by when they were moved in (ctime), not by when they were recorded (mtime)', async (t) => {
  const root = tempDir();
  const dir = join(root, 'done');
  mkdirSync(dir);
  const cutoff = await twoMoments(
    () => moveIn(root, dir, 'moved-earlier.wav', 1000),
    () => {
      // Recorded 90 days ago, moved in just now: a move keeps the recorder's mtime.
      writeFileSync(join(root, 'recorded-long-ago.wav'), Buffer.alloc(500, 1));
      utimesSync(join(root, 'recorded-long-ago.wav'), new Date(Date.now() - 90 * DAY_MS), new Date(Date.now() - 90 * DAY_MS));
      renameSync(join(root, 'recorded-long-ago.wav'), join(dir, 'recorded-long-ago.wav'));
    },
  );
  const outcome = await sweepOldFiles(dir, { cutoffMs: cutoff });
  t.same(readdirSync(dir), ['recorded-long-ago.wav'], 'the one moved in before the cutoff is gone; the one recorded long ago but moved in later stays');
  t.same(outcome, { deleted: 1, bytes: 1000, failed: 0, unsetClock: 0 });
});

t.test('a writer whose clock runs ahead keeps its files longer: the later of ctime and mtime counts', async (t) => {
  const root = tempDir();
  const dir = join(root, 'done');
  mkdirSync(dir);
  moveIn(root, dir, 'ahead.wav');
  utimesSync(join(dir, 'ahead.wav'), new Date(), new Date(Date.now() + 10 * DAY_MS));
  const outcome = await sweepOldFiles(dir, { cutoffMs: Date.now() + DAY_MS });
  t.same(readdirSync(dir), ['ahead.wav']);
  t.equal(outcome.deleted, 0);
});

t.test('in failed/ a recording goes with its reason; a reason goes on its own only when its recording is gone', async (t) => {
  const root = tempDir();
  const dir = join(root, 'failed');
  mkdirSync(dir);
  const cutoff = await twoMoments(
    () => {
      moveIn(root, dir, 'old.wav.reason.txt', 10);
      moveIn(root, dir, 'old.wav', 100);
      moveIn(root, dir, 'orphan.wav.reason.txt', 10); // its recording removed by hand
      moveIn(root, dir, 'young.wav.reason.txt', 10); // its recording moved in after the cutoff
    },
    () => {
      moveIn(root, dir, 'young.wav', 100);
      moveIn(root, dir, 'new.wav.reason.txt', 10);
      moveIn(root, dir, 'new.wav', 100);
    },
  );
  const outcome = await sweepOldFiles(dir, { cutoffMs: cutoff, companionSuffix: '.reason.txt' });
  t.same(readdirSync(dir).sort(), ['new.wav', 'new.wav.reason.txt', 'young.wav', 'young.wav.reason.txt']);
  t.same(outcome, { deleted: 3, bytes: 120, failed: 0, unsetClock: 0 });
});

t.test('only plain files and links directly in the folder are deleted: not folders, what is in them, what links point to, or dot files', async (t) => {
  const root = tempDir();
  const dir = join(root, 'done');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(root, 'outside.wav'), 'not ours');
  const cutoff = await twoMoments(
    () => {
      writeFileSync(join(dir, 'sub', 'inner.wav'), 'in a folder');
      symlinkSync(join(root, 'outside.wav'), join(dir, 'link.wav'));
      symlinkSync(join(root, 'sub-outside'), join(dir, 'dangling.wav'));
      writeFileSync(join(dir, '.reason-0123456789ab.part'), 'being written');
      execFileSync('mkfifo', [join(dir, 'pipe')]);
      moveIn(root, dir, 'old.wav');
    },
    () => undefined,
  );
  const outcome = await sweepOldFiles(dir, { cutoffMs: cutoff });
  t.same(readdirSync(dir).sort(), ['.reason-0123456789ab.part', 'pipe', 'sub']);
  t.ok(existsSync(join(dir, 'sub', 'inner.wav')), 'the folder is not entered');
  t.ok(existsSync(join(root, 'outside.wav')), 'the link went, not what it points to');
  t.equal(outcome.deleted, 3);
  t.equal(outcome.failed, 0);
});

t.test('files that vanish while the folder is swept are skipped, not errors', async (t) => {
  const root = tempDir();
  const dir = join(root, 'done');
  mkdirSync(dir);
  const names = Array.from({ length: 2000 }, (_, i) => `r${String(i).padStart(4, '0')}.wav`);
  for (const name of names) writeFileSync(join(dir, name), 'x');
  let calls = 0;
  const outcome = await sweepOldFiles(dir, {
    cutoffMs: Date.now() + 60_000,
    // Between entries, someone else deletes a batch of files, some not yet seen by the sweep.
    stopped: () => {
      if (++calls % 100 === 1) for (const name of names.slice(calls, calls + 150)) rmSync(join(dir, name), { force: true });
      return false;
    },
  });
  t.same(readdirSync(dir), []);
  t.equal(outcome.failed, 0, 'nothing counted as failed');
  t.ok(outcome.deleted > 0 && outcome.deleted < names.length, `the sweep deleted ${outcome.deleted}, the rest had vanished`);
});

t.test('files that cannot be deleted (a read-only mount) are counted with the first error, and the sweep goes on', async (t) => {
  const disk = new SmallDisk(1024 * 1024).mount();
  t.teardown(() => disk.unmount());
  const dir = join(disk.dir, 'done');
  mkdirSync(dir);
  for (const name of ['a.wav', 'b.wav']) writeFileSync(join(dir, name), 'x');
  execFileSync('mount', ['-o', 'remount,ro', disk.dir]);
  t.teardown(() => execFileSync('mount', ['-o', 'remount,rw', disk.dir]));
  const outcome = await sweepOldFiles(dir, { cutoffMs: Date.now() + 60_000 });
  t.equal(outcome.failed, 2);
  t.equal(outcome.deleted, 0);
  t.match(outcome.firstError, /EROFS/);
});

t.test('a folder replaced by a link while it is swept: the sweep stops and deletes nothing through the link', async (t) => {
  const root = tempDir();
  const dir = join(root, 'done');
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(dir);
  mkdirSync(elsewhere);
  const names = Array.from({ length: 50 }, (_, i) => `r${String(i).padStart(2, '0')}.wav`);
  for (const name of names) {
    writeFileSync(join(dir, name), 'x');
    writeFileSync(join(elsewhere, name), 'precious');
  }
  let calls = 0;
  const sweep = sweepOldFiles(dir, {
    cutoffMs: Date.now() + 60_000,
    stopped: () => {
      if (++calls === 5) {
        renameSync(dir, join(root, 'done.moved'));
        symlinkSync(elsewhere, dir);
      }
      return false;
    },
  });
  await t.rejects(sweep, /was replaced while old files were being deleted/);
  t.equal(readdirSync(elsewhere).length, names.length, 'nothing deleted through the link');
  t.ok(lstatSync(dir).isSymbolicLink());
  await t.rejects(sweepOldFiles(dir, { cutoffMs: Date.now() }), /is not a plain folder/, 'a link in its place is refused from the start');
});

t.test('a time before 2020 (a file moved while the clock was not set) keeps the file; only older than the cutoff deletes', async (t) => {
  // ctime cannot be set back from user space, nor the box's clock in a test: the decision alone.
  const cutoff = Date.UTC(2025, 5, 1);
  t.equal(verdict(Date.UTC(1970, 0, 1, 0, 5), cutoff), 'unset-clock');
  t.equal(verdict(Date.UTC(2019, 11, 31), cutoff), 'unset-clock');
  t.equal(verdict(Date.UTC(2020, 0, 1), cutoff), 'delete');
  t.equal(verdict(cutoff - 1, cutoff), 'delete');
  t.equal(verdict(cutoff, cutoff), 'keep');
});
