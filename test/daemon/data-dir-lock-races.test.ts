import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCK_FILE } from '../../daemon/data-dir-lock.js';
import { tempDir } from '../helpers/paths.js';
import { deadPid, lockOn, startedLockOn } from './helpers/lock-on.js';
import { childEnv, loaderArgs, scriptPath } from '../scheduler/helpers/spawn-node.js';

/**
 * The data directory lock against what real boxes do to it: other processes (in other pid
 * namespaces too), starts racing for one dead lock, clock steps, a full disk, a process
 * short of file descriptors. Real files, real processes.
 */

const childScript = scriptPath(import.meta.url, join(dirname(fileURLToPath(import.meta.url)), 'helpers'), 'lock-child');

interface Child {
  child: ChildProcess;
  lines: string[];
  next(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

function runChild(t: Test, options: Record<string, unknown>, how: { unshare?: string[]; ulimitFiles?: number } = {}): Child {
  const node = [process.execPath, ...loaderArgs(), childScript, JSON.stringify(options)];
  const quoted = node.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const shell = `${how.ulimitFiles ? `ulimit -n ${how.ulimitFiles}; ` : ''}exec ${quoted}`;
  const child = how.unshare ? spawn('unshare', [...how.unshare, 'sh', '-c', shell], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('sh', ['-c', shell], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const next = async (pattern: RegExp, timeoutMs = 10_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = lines.find((l) => pattern.test(l));
      if (hit) return hit;
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no line ${pattern} from the child:\n${lines.join('\n')}\n${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, lines, next };
}

const lockPath = (dir: string) => join(dir, LOCK_FILE);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hasBootId = existsSync('/proc/sys/kernel/random/boot_id');
const canUnshare = spawnSync('unshare', ['-Urpf', '--mount-proc', 'true']).status === 0;

t.test('a holder short of file descriptors (EMFILE) at a renewal keeps its lock and goes on', async (t) => {
  const dir = tempDir('earshot-lock-');
  const holder = runChild(t, { dir, renewMs: 50, emfileMs: 600 }, { ulimitFiles: 200 });
  await holder.next(/^held/);
  await holder.next(/^fds released/);
  await sleep(200);
  t.notOk(holder.lines.some((l) => l.startsWith('lost')), `not told to stop:\n${holder.lines.filter((l) => /lost|fds/.test(l)).join('\n')}`);
  t.equal(holder.child.exitCode, null);
});

t.test('a lock file deleted under a running holder (a clean-up of the data directory) is made again, not a reason to stop', async (t) => {
  const dir = tempDir('earshot-lock-');
  const holder = lockOn(dir, { renewMs: 50 });
  await holder.lock.start();
  t.teardown(() => holder.lock.stop());
  rmSync(lockPath(dir));
  await sleep(300);
  t.same(holder.lost, [], 'not told to stop');
  t.ok(existsSync(lockPath(dir)), 'its lock is there again');
  t.match(holder.lock.state(), { state: 'held' });
});

t.test('a lock emptied under a running holder (a tool writing the file in place) is written again, not a reason to stop', async (t) => {
  const dir = tempDir('earshot-lock-');
  const holder = lockOn(dir, { renewMs: 50 });
  await holder.lock.start();
  t.teardown(() => holder.lock.stop());
  writeFileSync(lockPath(dir), '');
  await sleep(300);
  t.same(holder.lost, [], 'not told to stop');
  t.match(JSON.parse(readFileSync(lockPath(dir), 'utf8')), { pid: process.pid }, 'its lock is whole again');
});

t.test('a start that fails writing its lock (ENOSPC) leaves no lock behind: once there is room, the next start gets it', { skip: !canUnshare && 'no user namespaces here' }, async (t) => {
  // A 4 KiB tmpfs, filled: the lock's inode can still be made, its content cannot be written.
  const mnt = tempDir('earshot-lock-full-');
  const dir = join(mnt, 'data');
  const second = join(tempDir('earshot-lock-out-'), 'second-start.out');
  const node = [process.execPath, ...loaderArgs(), childScript].map((a) => `'${a}'`).join(' ');
  const script = [
    `mount -t tmpfs -o size=4k tmpfs '${mnt}'`,
    `mkdir '${dir}'`,
    `head -c 1048576 /dev/zero > '${mnt}/filler' 2>/dev/null`,
    `${node} '${JSON.stringify({ dir })}'`,
    `echo "left: $(ls -A '${dir}')"`,
    `rm '${mnt}/filler'`,
    // The next start runs until it has said how it went (a child under the TypeScript loader
    // can take a while to get that far on a loaded box), at most 30 s; then it is stopped.
    `${node} '${JSON.stringify({ dir })}' > '${second}' & pid=$!`,
    `i=0; while [ $i -lt 300 ] && kill -0 $pid 2>/dev/null && ! grep -q '^held' '${second}'; do sleep 0.1; i=$((i+1)); done`,
    `kill $pid 2>/dev/null; wait; cat '${second}'`,
  ].join('; ');
  const run = spawnSync('unshare', ['-Urm', 'sh', '-c', script], { env: childEnv(), encoding: 'utf8', timeout: 90_000 });
  const out = run.stdout.split('\n');
  t.match(out[0] ?? '', /^error cannot lock the data directory .*ENOSPC|^error .*ENOSPC/, `the first start fails for the full disk:\n${run.stdout}${run.stderr}`);
  t.match(out.find((l) => l.startsWith('left:')), /^left: $/, 'and leaves no lock file behind');
  t.ok(out.some((l) => l.startsWith('held')), `the next start, with room again, holds the lock:\n${run.stdout}`);
});

t.test('a data directory on a read-only file system (ProtectSystem=strict and a dataDir elsewhere) says what to add', { skip: !canUnshare && 'no user namespaces here' }, async (t) => {
  const mnt = tempDir('earshot-lock-ro-');
  const dir = join(mnt, 'data');
  const node = [process.execPath, ...loaderArgs(), childScript].map((a) => `'${a}'`).join(' ');
  const script = [`mount -t tmpfs tmpfs '${mnt}'`, `mkdir '${dir}'`, `mount -o remount,ro '${mnt}'`, `${node} '${JSON.stringify({ dir })}'`].join('; ');
  const run = spawnSync('unshare', ['-Urm', 'sh', '-c', script], { env: childEnv(), encoding: 'utf8', timeout: 30_000 });
  t.match(run.stdout, /^error dataDir: cannot lock the data directory .*EROFS.*ProtectSystem=strict only \/var\/lib\/earshot is writable: a dataDir elsewhere needs ReadWritePaths= in a drop-in/m, `${run.stdout}${run.stderr}`);
});

t.test('an empty lock (a crash or power cut right after the file was made) is taken over, not waited out', async (t) => {
  const dir = tempDir('earshot-lock-');
  writeFileSync(lockPath(dir), '');
  const next = await startedLockOn(t, dir);
  t.match(next.lock.state(), { state: 'held' });
});

t.test('two daemons with one hostname in two pid namespaces (containers sharing a volume and the host name), both pid 1: the second is refused', { skip: !canUnshare && 'no user namespaces here' }, async (t) => {
  const dir = tempDir('earshot-lock-');
  const first = runChild(t, { dir, renewMs: 300 }, { unshare: ['-Urpf', '--mount-proc', '--kill-child'] });
  t.match(await first.next(/^held/), /pid=1$/);
  // The second watches the lock for 1.5 of its own renewal periods: 3 s, in which the first
  // renews it ten times. Watching 450 ms, a first delayed past it on a loaded machine (CI at a
  // load of 10 on 2 cores) was taken for dead.
  const second = runChild(t, { dir, renewMs: 2000 }, { unshare: ['-Urpf', '--mount-proc', '--kill-child'] });
  const verdict = await second.next(/^(held|refused|error)/, 20_000);
  t.match(verdict, /^refused .*in use by another earshotd/, 'the second does not take the lock of a live first');
  await sleep(700);
  t.notOk(first.lines.some((l) => l.startsWith('lost')), 'the first keeps working');
});

t.test('a lock of this host\'s hostname from another pid namespace with our pid (the same container, restarted) is taken over once it is seen not to be renewed', { skip: !hasBootId && 'no /proc boot id here' }, async (t) => {
  const dir = tempDir('earshot-lock-');
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const machine = existsSync('/etc/machine-id') ? readFileSync('/etc/machine-id', 'utf8').trim() || undefined : undefined;
  writeFileSync(lockPath(dir), JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'feedface', since: new Date().toISOString(), boot, pidns: 'pid:[1]', machine }) + '\n');
  const next = await startedLockOn(t, dir);
  t.match(next.lines.join('\n'), /watching it 0.15 s for a renewal[\s\S]*taking over/);
});

t.test('two starts taking over one dead lock at the same moment: one gets it, the other is refused', async (t) => {
  const dir = tempDir('earshot-lock-');
  writeFileSync(lockPath(dir), JSON.stringify({ pid: deadPid(), host: hostname(), nonce: 'feedface', since: new Date().toISOString() }) + '\n');
  const go = join(dir, '..', `go-${Date.now()}`);
  // The slow one has looked at the dead lock and decided to take it over...
  const slow = runChild(t, { dir, renewMs: 5000, waitInTakeoverFor: go });
  for (let i = 0; i < 500 && !existsSync(`${go}.waiting`); i++) await sleep(20);
  // ...the quick one takes it over meanwhile...
  const quick = runChild(t, { dir, renewMs: 5000 });
  await quick.next(/^held/);
  // ...then the slow one goes on.
  writeFileSync(go, '');
  const verdict = await slow.next(/^(held|refused|error)/);
  t.match(verdict, /^refused/, 'the slow one does not take the quick one\'s fresh lock');
  t.match(JSON.parse(readFileSync(lockPath(dir), 'utf8')), { pid: quick.child.pid }, 'the lock is the quick one\'s');
});

t.test('a clock stepped forward (NTP at boot, no RTC) does not make a live holder\'s lock look abandoned', async (t) => {
  const dir = tempDir('earshot-lock-');
  const holder = runChild(t, { dir, renewMs: 300 });
  await holder.next(/^held/);
  // Right after a step of an hour, before the holder's next renewal, its lock was last renewed "an hour ago".
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(lockPath(dir), hourAgo, hourAgo);
  // The second watches for 1.5 of its own renewal periods: 3 s, in which the holder renews
  // ten times. Watching 450 ms, a holder stalled past it on a loaded box was taken for dead.
  const second = lockOn(dir, { renewMs: 2000 });
  await t.rejects(second.lock.start(), { name: 'DataDirInUseError' }, 'refused: the holder renews');
  await sleep(700);
  t.notOk(holder.lines.some((l) => l.startsWith('lost')), 'the holder keeps working');
});

t.test('a clock stepped back: an abandoned lock "renewed in the future" is taken over once it is seen not to be renewed', async (t) => {
  const dir = tempDir('earshot-lock-');
  // From another host (its pid cannot be looked at), last renewed by a clock an hour ahead of ours.
  writeFileSync(lockPath(dir), JSON.stringify({ pid: 1, host: 'other-box', nonce: 'feedface', since: new Date().toISOString() }) + '\n');
  const inAnHour = new Date(Date.now() + 3600_000);
  utimesSync(lockPath(dir), inAnHour, inAnHour);
  const next = await startedLockOn(t, dir);
  t.match(next.lock.state(), { state: 'held' });
});

t.test('after a reboot whose clock is behind, a lock of this host\'s earlier boot is taken over though its pid is in use again', { skip: !hasBootId && 'no /proc boot id here' }, async (t) => {
  const dir = tempDir('earshot-lock-');
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const other = boot.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  const machine = existsSync('/etc/machine-id') ? readFileSync('/etc/machine-id', 'utf8').trim() || undefined : undefined;
  // Written before the power cut, by this host's earlier boot; its pid now belongs to another process.
  writeFileSync(lockPath(dir), JSON.stringify({ pid: process.ppid, host: hostname(), nonce: 'feedface', since: new Date().toISOString(), boot: other, pidns: 'pid:[4026531836]', machine }) + '\n');
  const inAnHour = new Date(Date.now() + 3600_000);
  utimesSync(lockPath(dir), inAnHour, inAnHour);
  const next = lockOn(dir, { renewMs: 5000 });
  const started = Date.now();
  await next.lock.start();
  t.teardown(() => next.lock.stop());
  // At once, not after watching the lock for a renewal (1.5 × renewMs = 7.5 s); room for a loaded box.
  t.ok(Date.now() - started < 3000, `at once (${Date.now() - started} ms)`);
  t.match(next.lines.join('\n'), /taking over/);
});

t.test('the lock stays the holder\'s across renewals: its content is whole from the moment it is there', async (t) => {
  const dir = tempDir('earshot-lock-');
  const holder = lockOn(dir, { renewMs: 50 });
  await holder.lock.start();
  t.teardown(() => holder.lock.stop());
  const before = statSync(lockPath(dir)).ino;
  await sleep(200);
  t.equal(statSync(lockPath(dir)).ino, before, 'renewals touch the file, they do not replace it');
  t.same(holder.lost, []);
});
