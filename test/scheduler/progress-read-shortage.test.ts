import t from 'tap';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../daemon/log/logger.js';
import { ProgressFiles } from '../../daemon/scheduler/progress-files.js';
import { isTransient } from '../../daemon/shortage/transient-errors.js';
import { tempDir } from '../helpers/paths.js';

/**
 * A job's progress file that cannot be read for a moment (the process is out of file
 * descriptors) is not thrown away: taking it as unreadable would start the job over and
 * publish all of it again under new ids. The read fails with the shortage, which the
 * scheduler postpones the job for. This test process's own descriptor limit is lowered
 * (`prlimit --pid`, util-linux) and every descriptor left taken, as a leak would.
 */
t.test('reading a progress file while out of descriptors fails with EMFILE; once they are back it reads', async (t) => {
  const dir = tempDir('earshot-progress-read-');
  mkdirSync(join(dir, 'progress'));
  writeFileSync(join(dir, 'progress', 'job-1.jsonl'), '{"version":2,"modelId":"m","cut":"c","generation":0}\n');
  const files = new ProgressFiles(join(dir, 'progress'), join(dir, 'tmp'), silentLogger);
  await files.open(() => true);

  const limits = execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output', 'SOFT,HARD', '--noheadings'], { encoding: 'utf8' }).trim().split(/\s+/);
  const inUse = readdirSync('/proc/self/fd').length;
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${inUse + 16}:${limits[1]}`]);
  const held: number[] = [];
  try {
    for (;;) held.push(openSync('/dev/null', 'r'));
  } catch (err) {
    t.equal((err as NodeJS.ErrnoException).code, 'EMFILE', `every descriptor taken (${held.length} more)`);
  }
  let failure: unknown;
  try {
    await files.read('job-1');
  } catch (err) {
    failure = err;
  } finally {
    for (const fd of held) closeSync(fd);
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${limits[0]}:${limits[1]}`]);
  }
  t.match(failure, { code: 'EMFILE' }, 'the read fails with the shortage, not as unreadable progress');
  t.ok(isTransient(failure), 'which the scheduler postpones the job for');
  t.same(await files.read('job-1'), [{ version: 2, modelId: 'm', cut: 'c', generation: 0 }], 'and reads once descriptors are free');
});
