import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolWatcher, type SpoolFile } from '../../../daemon/audio/sources/spool-watcher.js';
import { DecoderStopped } from '../../../daemon/audio/decoder-stopped.js';
import { checkFileName } from '../../../daemon/audio/sources/types.js';
import { LogSink, silentLogger, type Logger } from '../../../daemon/log/logger.js';
import { distDir, tempDir } from '../../helpers/paths.js';
import { callAt, syncedAfterOpen, traceFileCalls } from '../../helpers/strace.js';
import { SmallDisk } from '../../helpers/small-disk.js';
import { fixturesDir } from '../../helpers/paths.js';
import { GIVE_UP_WAITING_MS } from '../../../daemon/audio/sources/wav-still-arriving.js';

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
  // Stamped a minute ahead (a writer whose clock runs ahead), so that it is not yet settled
  // by its mtime however long this test stalls before the scan; it then settles by staying
  // the same for settleMs after the watcher first saw it.
  utimesSync(join(dir, 'fresh.wav'), new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
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

t.test("a failed recording's reason is fsynced before it is linked into failed/, and failed/ after the recording's move", async (t) => {
  // A power cut after the move must not leave the recording in failed/ beside an empty reason.
  const dir = tempDir('earshot-spool-sync-');
  writeFileSync(join(dir, 'bad.wav'), 'JUNK');
  age(join(dir, 'bad.wav'), 5000);
  const script = `
    const { SpoolWatcher } = await import(${JSON.stringify(join(distDir, 'daemon', 'audio', 'sources', 'spool-watcher.js'))});
    const { silentLogger } = await import(${JSON.stringify(join(distDir, 'daemon', 'log', 'logger.js'))});
    const watcher = new SpoolWatcher({ id: 'branch-7', dir: ${JSON.stringify(dir)}, settleMs: 200, logger: silentLogger, handler: async () => { throw new Error('not a WAV file'); } });
    await watcher.start();
    await watcher.scan();
    await watcher.stop();`;
  const run = traceFileCalls([process.execPath, '--input-type=module', '-e', script]);
  t.equal(run.status, 0, run.stderr);
  t.same(readdirSync(join(dir, 'failed')).sort(), ['bad.wav', 'bad.wav.reason.txt']);
  const part = callAt(run.calls, 0, (l) => /openat\(AT_FDCWD, "[^"]*\/failed\/\.reason-[0-9a-f]+\.part"/.test(l));
  t.not(part, -1, 'the reason is written aside');
  const partPath = /"([^"]+)"/.exec(run.calls[part] ?? '')?.[1] ?? '';
  t.not(syncedAfterOpen(run.calls, part, partPath), -1, 'and fsynced before it is closed');
  const moved = callAt(run.calls, part, (l) => /rename(at2?)?\(/.test(l) && l.includes(`"${join(dir, 'failed', 'bad.wav')}"`));
  t.not(moved, -1, 'the recording is moved');
  t.not(syncedAfterOpen(run.calls, moved, join(dir, 'failed')), -1, 'failed/ is fsynced after the move');
});

t.test('a recording goes to failed/ only once its whole reason is there; one that cannot be moved waits and holds up nothing', async (t) => {
  // A real full disk (a small tmpfs): the reason cannot be written.
  const disk = new SmallDisk(1024 * 1024).mount();
  t.teardown(() => disk.unmount());
  const dir = join(disk.dir, 'spool'); // beside the disk's filler files
  mkdirSync(dir);
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('spool');
  const handled: string[] = [];
  const watcher = new SpoolWatcher({
    id: 'branch-7',
    dir,
    settleMs: 0,
    pollMs: 60_000,
    retryMs: { min: 300, max: 600 },
    logger,
    handler: async (file) => {
      handled.push(file.name);
      if (file.name === 'bad.wav') throw new Error('not a WAV file');
    },
  });
  writeFileSync(join(dir, 'bad.wav'), 'JUNK');
  age(join(dir, 'bad.wav'), 5000);
  writeFileSync(join(dir, 'good.wav'), 'fine');
  age(join(dir, 'good.wav'), 4000);
  await watcher.start();
  t.teardown(() => watcher.stop());
  disk.fill();
  await watcher.scan();
  t.ok(existsSync(join(dir, 'bad.wav')), 'the recording stays in the spool, to be tried again');
  t.same(readdirSync(join(dir, 'failed')), [], 'no recording without its reason, no half-written reason left');
  t.ok(existsSync(join(dir, 'done', 'good.wav')), 'the recording after it is handled all the same');
  t.match(lines.join('\n'), /cannot move this recording to failed\/: .*; it stays in the spool and is tried again in 0 s.*file=bad\.wav/);
  await watcher.scan();
  t.same(handled.filter((n) => n === 'bad.wav').length, 1, 'and it is not read again at the next scan: it waits');

  disk.free();
  await new Promise((r) => setTimeout(r, 700));
  await watcher.scan();
  t.same(readdirSync(join(dir, 'failed')).sort(), ['bad.wav', 'bad.wav.reason.txt']);
  t.match(readFileSync(join(dir, 'failed', 'bad.wav.reason.txt'), 'utf8'), /branch-7 bad\.wav\nnot a WAV file\n/);
});

t.test('a reason left half-written by a daemon that died is removed at the next start, if old', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'failed'), { mode: 0o755 });
  const stale = join(dir, 'failed', '.reason-0123456789ab.part');
  const fresh = join(dir, 'failed', '.reason-ba9876543210.part');
  const someoneElses = join(dir, 'failed', '.reason-notes.part');
  for (const path of [stale, fresh, someoneElses]) writeFileSync(path, 'half');
  age(stale, 2 * 3600_000);
  age(someoneElses, 2 * 3600_000);
  const watcher = new SpoolWatcher({ id: 'restart', dir, settleMs: 0, pollMs: 60_000, logger: silentLogger, handler: async () => undefined });
  await watcher.start();
  t.teardown(() => watcher.stop());
  t.notOk(existsSync(stale), 'an hour old: removed');
  t.ok(existsSync(fresh), 'a fresh one may be another daemon\'s, being written now: kept');
  t.ok(existsSync(someoneElses), 'a name we never make: kept');
});

t.test('a name too long for its reason file beside it is shortened in failed/, not left to fail at every poll', async (t) => {
  const dir = tempDir();
  const watcher = new SpoolWatcher({ id: 'long', dir, settleMs: 0, pollMs: 60_000, logger: silentLogger, handler: async () => { throw new Error('not a WAV file'); } });
  // 80 CJK characters: 240 bytes, 251 with the extension; with .reason.txt over 255.
  const name = `${'会'.repeat(80)}.wav`;
  writeFileSync(join(dir, name), 'JUNK');
  age(join(dir, name), 5000);
  await watcher.start();
  t.teardown(() => watcher.stop());
  await watcher.scan();
  t.notOk(existsSync(join(dir, name)), 'moved out of the spool');
  const failed = readdirSync(join(dir, 'failed')).sort();
  t.equal(failed.length, 2);
  const [moved, reason] = failed as [string, string];
  t.equal(reason, `${moved}.reason.txt`);
  t.ok(Buffer.byteLength(reason) <= 255, `the reason's name fits (${Buffer.byteLength(reason)} bytes)`);
  t.match(moved, /^会+\.wav$/, 'shortened by whole characters, the extension kept');
  t.match(readFileSync(join(dir, 'failed', reason), 'utf8'), new RegExp(`long ${name}\nnot a WAV file`), 'the reason names the recording as it was called');
});

t.test('a file that keeps growing is not picked up until it settles', async (t) => {
  const dir = tempDir();
  const handled: string[] = [];
  // Written every 100 ms for twice settleMs: a watcher that stopped looking at a file once
  // it had seen it would take it half-way through. settleMs leaves room for a stall of the
  // test's timers on a busy box between two writes.
  const watcher = new SpoolWatcher({ id: 'grow', dir, settleMs: 1500, pollMs: 50, logger: silentLogger, handler: async (f) => void handled.push(f.name) });
  const path = join(dir, 'rec.wav');
  writeFileSync(path, 'x');
  await watcher.start();
  t.teardown(() => watcher.stop());
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(path, 'x'.repeat(i + 2));
  }
  t.same(handled, [], 'still being written');
  const end = Date.now() + 15_000;
  while (handled.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  t.same(handled, ['rec.wav'], 'picked up by the poll loop once quiet');
  t.ok(existsSync(join(dir, 'done', 'rec.wav')));
});

t.test('a WAV copied in with pauses longer than settleMs waits until its header\'s length is all there; one cut short for good is read after GIVE_UP_WAITING_MS', async (t) => {
  const dir = tempDir();
  const { logger, lines } = keptLog();
  const handled: SpoolFile[] = [];
  const watcher = new SpoolWatcher({ id: 'smb', dir, settleMs: 100, pollMs: 60_000, logger, handler: async (f) => void handled.push(f) });
  const wav = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const copying = join(dir, 'meeting.wav');
  // The copier wrote the header and a third of the audio, then paused (an SMB client, a slow link).
  writeFileSync(copying, wav.subarray(0, Math.floor(wav.length / 3)));
  age(copying, 5000);
  // A recorder that died: its header promised more than it wrote, and nothing has changed since.
  const dead = join(dir, 'crashed.wav');
  writeFileSync(dead, wav.subarray(0, Math.floor(wav.length / 2)));
  age(dead, GIVE_UP_WAITING_MS + 60_000);
  await watcher.start();
  t.teardown(() => watcher.stop());
  await watcher.scan();
  await watcher.scan();
  t.same(handled.map((f) => f.name), ['crashed.wav'], 'the copy waits, though unchanged for longer than settleMs; the dead one is read as it is');
  t.ok(existsSync(copying), 'the copy is still in the spool, where its writer goes on writing');
  t.equal(lines.filter((l) => /still being copied in/.test(l) && /meeting\.wav/.test(l)).length, 1, 'the wait is said once, not at every scan');
  t.match(lines.join('\n'), /shorter than its header says has not changed for 10 min; read as it is, cut short.*crashed\.wav/);

  writeFileSync(copying, wav);
  age(copying, 5000);
  await watcher.scan();
  t.same(handled.map((f) => [f.name, f.size]), [['crashed.wav', Math.floor(wav.length / 2)], ['meeting.wav', wav.length]], 'the copy is read once, whole');
  t.same(readdirSync(join(dir, 'done')).sort(), ['crashed.wav', 'meeting.wav']);
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
  // Waits of 2 s, then 4 s. The sleeps end 250 ms past the first wait, so a second wait no
  // longer than the first is over at the last scan, and well inside the second one, so a
  // stall of the box does not reach its end.
  const watcher = await startFailingWatcher(t, dir, 'rec.wav', { min: 2000, max: 10_000 }, () => {
    tries++;
    throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
  });
  await watcher.scan();
  const first = tries;
  t.ok(first >= 1, 'tried');
  await watcher.scan();
  await watcher.scan();
  t.equal(tries, first, 'not again at the next scans: it waits');
  await new Promise((r) => setTimeout(r, 2250));
  await watcher.scan();
  t.equal(tries, first + 1, 'tried again once the wait is over');
  await new Promise((r) => setTimeout(r, 2250));
  await watcher.scan();
  t.equal(tries, first + 1, 'the second wait is longer (4 s)');
  t.ok(existsSync(join(dir, 'rec.wav')), 'and the recording is still there');
});

t.test('a symbolic link in the spool is never read: it goes to failed/ with the reason, its target untouched', async (t) => {
  const dir = tempDir();
  const outside = join(tempDir(), 'private-meeting.wav');
  writeFileSync(outside, 'RIFF secret audio');
  const handled: string[] = [];
  const watcher = new SpoolWatcher({ id: 'share', dir, settleMs: 0, logger: silentLogger, handler: async (file) => void handled.push(file.name) });
  symlinkSync(outside, join(dir, 'looks-like-a-recording.wav'));
  symlinkSync('/nonexistent/target.wav', join(dir, 'dangling.wav'));
  writeFileSync(join(dir, 'real.wav'), 'a real file');
  age(join(dir, 'real.wav'), 5000);
  await watcher.start();
  t.teardown(() => watcher.stop());
  await watcher.scan();
  t.same(handled, ['real.wav'], 'only the regular file reached the handler');
  t.same(readdirSync(join(dir, 'failed')).sort(), ['dangling.wav', 'dangling.wav.reason.txt', 'looks-like-a-recording.wav', 'looks-like-a-recording.wav.reason.txt']);
  t.ok(lstatSync(join(dir, 'failed', 'looks-like-a-recording.wav')).isSymbolicLink(), 'the link itself was moved');
  t.equal(readFileSync(outside, 'utf8'), 'RIFF secret audio', 'and its target is where it was, unchanged');
  t.match(readFileSync(join(dir, 'failed', 'looks-like-a-recording.wav.reason.txt'), 'utf8'), /share looks-like-a-recording\.wav\na symbolic link, not a recording/);
});

/** A logger that keeps its lines, to see what the watcher said. */
function keptLog(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new LogSink({ level: 'debug', format: 'text', write: (line) => void lines.push(line) }).logger('spool'), lines };
}

t.test('done/ or failed/ replaced by a link: nothing is read or moved through it until the folder is put right', async (t) => {
  const dir = tempDir();
  const elsewhere = tempDir(); // stands for the daemon's own state, e.g. its job queue
  const { logger, lines } = keptLog();
  const handled: string[] = [];
  const watcher = new SpoolWatcher({
    id: 'share',
    dir,
    settleMs: 0,
    logger,
    handler: async (file) => {
      handled.push(file.name);
      throw new Error('not audio');
    },
  });
  await watcher.start();
  t.teardown(() => watcher.stop());
  rmSync(join(dir, 'failed'), { recursive: true });
  symlinkSync(elsewhere, join(dir, 'failed'));
  writeFileSync(join(dir, 'evil.json'), '{"id":"injected"}');
  age(join(dir, 'evil.json'), 5000);
  await watcher.scan();
  await watcher.scan();
  t.same(handled, [], 'the recording was not read');
  t.same(readdirSync(elsewhere), [], 'and nothing was written where the link points');
  t.ok(existsSync(join(dir, 'evil.json')), 'the file waits in the spool');
  t.equal(lines.filter((l) => /failed is a symbolic link; it must be a plain folder/.test(l)).length, 1, `said once, not at every scan: ${lines.join(' | ')}`);

  rmSync(join(dir, 'failed'));
  mkdirSync(join(dir, 'failed'));
  await watcher.scan();
  t.same(handled, ['evil.json'], 'once the folder is a folder again, the file is handled');
  t.same(readdirSync(join(dir, 'failed')).sort(), ['evil.json', 'evil.json.reason.txt']);
  t.same(readdirSync(elsewhere), []);
});

t.test('a spool folder whose done/ is a link does not start, nor one everyone may write to without the sticky bit; a group-writable one is warned about', async (t) => {
  const dir = tempDir();
  symlinkSync(tempDir(), join(dir, 'done'));
  await t.rejects(new SpoolWatcher({ id: 'share', dir, logger: silentLogger, handler: async () => undefined }).start(), /spool folder .*: .*done is a symbolic link; it must be a plain folder/);

  const everyone = tempDir();
  chmodSync(everyone, 0o777);
  await t.rejects(new SpoolWatcher({ id: 'share', dir: everyone, logger: silentLogger, handler: async () => undefined }).start(), /writable by everyone without the sticky bit: .*run chmod \+t/, 'a world-writable spool without the sticky bit does not start');
  for (const [mode, warned] of [[0o775, true], [0o1777, false], [0o1775, false], [0o755, false]] as const) {
    const open = tempDir();
    chmodSync(open, mode);
    const { logger, lines } = keptLog();
    const watcher = new SpoolWatcher({ id: 'share', dir: open, logger, handler: async () => undefined });
    await watcher.start();
    await watcher.stop();
    t.equal(lines.some((l) => /writable by its group without the sticky bit.*chmod \+t/.test(l)), warned, `mode ${mode.toString(8)}: ${warned ? 'warned' : 'no warning'}`);
  }
});

t.test('done/ made by someone else, or writable by others, is not used', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'done'), { mode: 0o777 });
  chmodSync(join(dir, 'done'), 0o777);
  await t.rejects(new SpoolWatcher({ id: 'share', dir, logger: silentLogger, handler: async () => undefined }).start(), /done must belong to the daemon's user and be writable by it alone \(it is uid \d+, mode 0777\)/);
  chmodSync(join(dir, 'done'), 0o755);
  const watcher = new SpoolWatcher({ id: 'share', dir, logger: silentLogger, handler: async () => undefined });
  await t.resolves(watcher.start(), 'once it is the daemon\'s alone, the spool starts');
  await watcher.stop();
});

t.test('a file whose name the daemon will not use is left alone; the rest of the folder is handled', async (t) => {
  const dir = tempDir();
  const { logger, lines } = keptLog();
  const handled: string[] = [];
  const watcher = new SpoolWatcher({ id: 'share', dir, settleMs: 0, logger, handler: async (file) => void handled.push(file.name) });
  writeFileSync(join(dir, 'a\\b.wav'), 'odd name');
  symlinkSync('/etc/passwd', join(dir, 'c\\d.wav'));
  writeFileSync(join(dir, 'real.wav'), 'fine');
  age(join(dir, 'a\\b.wav'), 5000);
  age(join(dir, 'real.wav'), 5000);
  await watcher.start();
  t.teardown(() => watcher.stop());
  await watcher.scan();
  await watcher.scan();
  t.same(handled, ['real.wav'], 'the other file was handled');
  t.ok(existsSync(join(dir, 'a\\b.wav')), 'the odd one is where it was');
  t.equal(lines.filter((l) => /backslash is left alone/.test(l)).length, 1, 'said once a minute, not per file or scan');
});

t.test('a spool folder that goes away and comes back empty (a share unmounted, then mounted) is picked up again', async (t) => {
  const parent = tempDir();
  const dir = join(parent, 'share');
  mkdirSync(dir);
  const { logger, lines } = keptLog();
  const handled: string[] = [];
  const watcher = new SpoolWatcher({ id: 'nas', dir, settleMs: 0, pollMs: 30, logger, handler: async (file) => void handled.push(file.name) });
  await watcher.start();
  t.teardown(() => watcher.stop());
  renameSync(dir, join(parent, 'unmounted'));
  await new Promise((r) => setTimeout(r, 400));
  t.equal(lines.filter((l) => /spool scan failed; trying again at each poll/.test(l)).length, 1, 'the failing scans are said once, not at each poll');

  // mounted again: the folder is back, without the done/ and failed/ the daemon made
  mkdirSync(dir);
  writeFileSync(join(dir, 'after.wav'), 'x');
  age(join(dir, 'after.wav'), 5000);
  // Handled, then moved into done/: wait for the move (under load it can lag the handler).
  const until = Date.now() + 5000;
  while (!existsSync(join(dir, 'done', 'after.wav')) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.same(handled, ['after.wav'], 'the recording made after the return is handled');
  t.same(readdirSync(join(dir, 'done')), ['after.wav'], 'into a done/ made again');
  t.ok(lines.some((l) => /spool folder readable again/.test(l)));
  t.equal(lines.filter((l) => /a folder of ours was missing; made it again/.test(l)).length, 2, 'done/ and failed/, each said once');
});

t.test('under a group-writable umask the folders the daemon makes still pass its own check', async (t) => {
  const previous = process.umask(0o002);
  t.teardown(() => void process.umask(previous));
  const dir = join(tempDir(), 'spool');
  mkdirSync(dir);
  const watcher = new SpoolWatcher({ id: 'umask', dir, settleMs: 0, logger: silentLogger, handler: async () => undefined });
  await watcher.start();
  t.teardown(() => watcher.stop());
  t.equal(lstatSync(join(dir, 'done')).mode & 0o777, 0o755);
  rmSync(join(dir, 'failed'), { recursive: true });
  writeFileSync(join(dir, 'a.wav'), 'x');
  age(join(dir, 'a.wav'), 5000);
  await watcher.scan();
  t.equal(lstatSync(join(dir, 'failed')).mode & 0o777, 0o755, 'and so does one made again');
  t.same(readdirSync(join(dir, 'done')), ['a.wav']);
});

t.test('a recording whose decoder is stopped by a signal stays, but not for ever: the fourth time in a row it fails', async (t) => {
  const dir = tempDir();
  let tries = 0;
  const watcher = await startFailingWatcher(t, dir, 'rec.flac', { min: 1, max: 1 }, (file) => {
    tries++;
    throw new DecoderStopped(file.path, 'SIGTERM');
  });
  // The watcher scans on its own too: count tries, not scans.
  let goneEarly = false;
  for (let i = 0; i < 100 && tries < 4; i++) {
    await watcher.scan();
    // Both read at once (nothing else runs between them): fewer than four tries, still there.
    if (tries < 4 && !existsSync(join(dir, 'rec.flac'))) goneEarly = true;
    await new Promise((r) => setTimeout(r, 5));
  }
  t.notOk(goneEarly, 'kept for another try after each of the first three stops');
  t.equal(tries, 4);
  t.notOk(existsSync(join(dir, 'rec.flac')), 'failed at the fourth');
  t.match(readFileSync(join(dir, 'failed', 'rec.flac.reason.txt'), 'utf8'), /ffmpeg was stopped by SIGTERM .*; but it was stopped 4 times in a row, so it is failed rather than tried again/);
});

/** A started watcher over `dir` holding one settled recording `name`, whose handler always throws. */
async function startFailingWatcher(t: Test, dir: string, name: string, retryMs: { min: number; max: number }, fail: (file: SpoolFile) => never): Promise<SpoolWatcher> {
  const watcher = new SpoolWatcher({ id: 'retries', dir, settleMs: 0, retryMs, logger: silentLogger, handler: async (file) => fail(file) });
  writeFileSync(join(dir, name), 'RIFF');
  age(join(dir, name), 1000);
  await watcher.start();
  t.teardown(() => watcher.stop());
  return watcher;
}

t.test('a spool folder on a read-only mount (one outside /var/lib/earshot under the shipped unit) fails the start saying what to add', async (t) => {
  const disk = new SmallDisk(1024 * 1024).mount();
  t.teardown(() => disk.unmount());
  const dir = join(disk.dir, 'recordings');
  mkdirSync(dir);
  execFileSync('mount', ['-o', 'remount,ro', disk.dir]);
  t.teardown(() => execFileSync('mount', ['-o', 'remount,rw', disk.dir]));
  const watcher = new SpoolWatcher({ id: 'srv', dir, settleMs: 0, logger: silentLogger, handler: async () => undefined });
  await t.rejects(watcher.start(), {
    message: `spool folder ${dir} is read-only (EROFS): systemctl edit earshot and add ReadWritePaths=${dir} (the unit has ProtectSystem=strict)`,
  });
});

t.test('a spool folder that is missing, or is not a folder, fails the start and nothing is made there', async (t) => {
  const parent = tempDir();
  const missing = join(parent, 'not-mounted', 'recordings');
  const watcher = new SpoolWatcher({ id: 'nas', dir: missing, settleMs: 0, logger: silentLogger, handler: async () => undefined });
  await t.rejects(watcher.start(), { message: `spool folder ${missing} does not exist; create it, mount its share or correct the path (the daemon does not make it)` });
  t.same(readdirSync(parent), [], 'neither the folder nor its parent made');
  const file = join(parent, 'a-file');
  writeFileSync(file, 'x');
  const onFile = new SpoolWatcher({ id: 'typo', dir: file, settleMs: 0, logger: silentLogger, handler: async () => undefined });
  await t.rejects(onFile.start(), { message: /^spool folder .*a-file is not a folder/ });
  // Once the folder is there, the same watcher starts and makes done/ and failed/ inside it.
  mkdirSync(missing, { recursive: true });
  await watcher.start();
  t.teardown(() => watcher.stop());
  t.same(readdirSync(missing).sort(), ['done', 'failed']);
});
