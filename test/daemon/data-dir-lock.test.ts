import t from 'tap';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE } from '../../daemon/data-dir-lock.js';
import { tempDir } from '../helpers/paths.js';
import { deadPid, lockOn, startedLockOn } from './helpers/lock-on.js';

/**
 * One earshotd per data directory, with real files and real pids: a live holder is
 * refused, one that is gone (its pid not running, or its lock not renewed) is taken over,
 * and a holder whose lock was taken over stops at its next renewal.
 */

const lockFile = (dir: string, owner: Record<string, unknown>, ageSec = 0) => {
  const path = join(dir, LOCK_FILE);
  writeFileSync(path, JSON.stringify({ since: new Date().toISOString(), nonce: 'feedface', ...owner }) + '\n');
  const at = new Date(Date.now() - ageSec * 1000);
  utimesSync(path, at, at);
};

t.test('a daemon is refused a data directory whose holder runs and renews; the lock is made, and goes at a clean stop', async (t) => {
  const dir = tempDir('earshot-lock-');
  // The holder: a live process of this host (the test runner), its lock renewed just now.
  lockFile(dir, { pid: process.ppid, host: hostname() });
  await t.rejects(lockOn(dir).lock.start(), { name: 'DataDirInUseError', message: `${dir} is in use by another earshotd (pid ${process.ppid}, lock renewed 0 s ago); stop it first, or give this one another dataDir` });
  t.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.ppid, 'its lock is left alone');

  const own = tempDir('earshot-lock-');
  const first = lockOn(own);
  await first.lock.start();
  t.match(JSON.parse(readFileSync(join(own, LOCK_FILE), 'utf8')), { pid: process.pid, host: hostname() });
  t.match(first.lock.state(), { state: 'held' });
  await first.lock.stop();
  t.notOk(existsSync(join(own, LOCK_FILE)), 'the lock goes with a clean stop');
});

t.test('a lock whose holder is gone is taken over at once (a crash, then the restart)', async (t) => {
  const dir = tempDir('earshot-lock-');
  const pid = deadPid();
  lockFile(dir, { pid, host: hostname() });
  const next = lockOn(dir);
  await next.lock.start();
  t.teardown(() => next.lock.stop());
  t.match(next.lines.join('\n'), new RegExp(`taking over the data directory from an earshotd that is gone \\(pid ${pid} is not running\\)`));
  t.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
});

t.test('our own pid in an earlier lock (a restarted container, pid 1 each time) is taken over', async (t) => {
  const dir = tempDir('earshot-lock-');
  lockFile(dir, { pid: process.pid, host: hostname() });
  const next = lockOn(dir);
  await next.lock.start();
  t.teardown(() => next.lock.stop());
  t.match(next.lines.join('\n'), /was this process's pid in an earlier life/);
});

t.test('a holder that cannot be seen (another host or container) is refused while it renews, taken over after', async (t) => {
  const dir = tempDir('earshot-lock-');
  lockFile(dir, { pid: 1, host: 'other-box' }, 5);
  await t.rejects(lockOn(dir).lock.start(), { message: /in use by another earshotd \(pid 1 on other-box, lock renewed 5 s ago\)/ });
  lockFile(dir, { pid: 1, host: 'other-box' }, 100);
  // Looks abandoned by the clock; taken over once a renewal and a half (150 ms here) brought none.
  const next = await startedLockOn(t, dir);
  t.match(next.lines.join('\n'), /gone \(pid 1 on other-box, not renewed for 100 s\)/);
});

t.test('a live pid on this host that stopped renewing (a reused pid, a hung daemon) is taken over', async (t) => {
  const dir = tempDir('earshot-lock-');
  lockFile(dir, { pid: process.ppid, host: hostname() }, 100);
  const next = await startedLockOn(t, dir);
  t.match(next.lines.join('\n'), new RegExp(`gone \\(pid ${process.ppid}, not renewed for 100 s\\)`));
});

t.test('the holder renews its lock, and stops when it finds it taken over', async (t) => {
  const dir = tempDir('earshot-lock-');
  const holder = lockOn(dir, { renewMs: 50 });
  await holder.lock.start();
  t.teardown(() => holder.lock.stop());
  lockFile(dir, { pid: process.pid, host: hostname() }, 60);
  const before = Date.now();
  // Our nonce is not in it now: the next renewal sees another holder.
  // Renewing every 50 ms, it notices within one renewal; 3 s leaves room for a loaded box and
  // is still far below the default renewal (30 s) and staleness (90 s) it must not wait for.
  while (Date.now() - before < 3000 && holder.lost.length === 0) await new Promise((r) => setTimeout(r, 10));
  t.match(holder.lost, [/another earshotd took over the data directory .* \(pid \d+ on /], 'told to stop');
  t.ok(Date.now() - before < 3000, `within a few renewals (${Date.now() - before} ms)`);
  t.match(holder.lines.join('\n'), /ERROR.*another earshotd took over the data directory.*stopping, so that one daemon works on it/);
  await holder.lock.stop();
  t.ok(existsSync(join(dir, LOCK_FILE)), 'and leaves the other\'s lock alone');

  const renewing = lockOn(tempDir('earshot-lock-'), { renewMs: 50 });
  await renewing.lock.start();
  t.teardown(() => renewing.lock.stop());
  const path = join((renewing.lock.state() as { detail: string }).detail);
  const old = new Date(Date.now() - 60_000);
  utimesSync(path, old, old);
  // Renewals come every 50 ms; after a stall one may still be under way, so look for a while
  // (3 s at most). Never renewed, its time stays a minute old and this fails.
  const fresh = () => Date.now() - statSync(path).mtimeMs < 5000;
  for (const until = Date.now() + 3000; !fresh() && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
  t.ok(fresh(), 'renewed: its time is fresh again');
});
