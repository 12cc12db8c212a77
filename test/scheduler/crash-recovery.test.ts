import t from 'tap';
import { readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { JobQueue, type DoneRecord } from '../../daemon/scheduler/job-queue.js';
import { writeToneWav } from './helpers/frame-energy-runtime.js';
import { scriptPath, spawnNode } from './helpers/spawn-node.js';

const daemonScript = scriptPath(import.meta.url, join(dirname(fileURLToPath(import.meta.url)), 'helpers'), 'queue-daemon');

/** Collects a child's stdout lines; resolves `until(line)` when such a line arrives. */
function watch(child: ChildProcess): { lines: string[]; until(pred: (l: string) => boolean, ms: number): Promise<void> } {
  const lines: string[] = [];
  const waiters: Array<{ pred: (l: string) => boolean; done: () => void }> = [];
  let buf = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) (w.pred(line) ? w.done : () => waiters.push(w))();
    }
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return {
    lines,
    until: (pred, ms) =>
      new Promise((resolve, reject) => {
        if (lines.some(pred)) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out; stdout: ${lines.join(' | ')}; stderr: ${stderr.slice(-800)}`)), ms);
        waiters.push({ pred, done: () => (clearTimeout(timer), resolve()) });
      }),
  };
}

t.test('a job submitted, the daemon SIGKILLed mid-job and restarted: it completes exactly once', async (t) => {
  const dir = tempDir('earshot-crash-');
  const sysfs = join(dir, 'sysfs');
  cpSync(join(fixturesDir, 'sysfs', 'no-meters'), sysfs, { recursive: true });
  const queueDir = join(dir, 'queue');
  for (const name of ['a', 'b', 'c']) await writeToneWav(join(dir, `${name}.wav`), 1, [[0.2, 0.5]]);
  writeFileSync(join(dir, 'broken.wav'), 'this is not audio');

  const q = new JobQueue({ dir: queueDir, logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3 });
  await q.start();
  await q.submit({ id: 'job-a', input: join(dir, 'a.wav'), priority: 'batch' });
  await q.submit({ id: 'job-broken', input: join(dir, 'broken.wav'), priority: 'batch', deadline: '2030-01-01T00:00:00Z' });
  await q.submit({ id: 'job-b', input: join(dir, 'b.wav'), priority: 'batch', deadline: '2030-01-02T00:00:00Z' });
  await q.submit({ id: 'job-c', input: join(dir, 'c.wav'), priority: 'batch', deadline: '2030-01-03T00:00:00Z' });
  await q.stop();

  // First run: long jobs, killed while job-a is in the middle of its work.
  const first = spawnNode(daemonScript, [queueDir, sysfs, '3000']);
  t.teardown(() => void first.kill('SIGKILL'));
  const w1 = watch(first);
  await w1.until((l) => l === 'started job-a 1', 20_000);
  await new Promise((r) => setTimeout(r, 300));
  first.kill('SIGKILL');
  await new Promise((r) => first.once('close', r));
  t.notOk(w1.lines.some((l) => l.startsWith('done ')), 'nothing finished before the kill');
  t.same(readdirSync(join(queueDir, 'done')), []);

  // Restart: everything finishes; the killed job runs again (attempt 2) and completes once.
  const second = spawnNode(daemonScript, [queueDir, sysfs, '0']);
  t.teardown(() => void second.kill('SIGKILL'));
  const w2 = watch(second);
  await w2.until((l) => l === 'idle' && w2.lines.filter((x) => x.startsWith('done ') || x.startsWith('failed ')).length === 4, 30_000);
  second.kill('SIGTERM');
  await new Promise((r) => second.once('close', r));

  t.ok(w2.lines.includes('started job-a 2'), 'job-a re-ran as its second attempt');
  const done = w2.lines.filter((l) => l.startsWith('done ')).sort();
  t.same(done, ['done job-a', 'done job-b', 'done job-c'], 'each completed once');
  t.ok(w2.lines.includes('failed job-broken'), 'the broken file failed alone');
  t.same(readdirSync(join(queueDir, 'done')).sort(), ['job-a.json', 'job-b.json', 'job-c.json']);
  t.same(readdirSync(join(queueDir, 'pending')), []);
  const a = JSON.parse(readFileSync(join(queueDir, 'done', 'job-a.json'), 'utf8')) as DoneRecord<{ output: { segments: Array<{ startSec: number; endSec: number }> } }>;
  t.equal(a.job.attempts, 2);
  t.same(a.result.output.segments.map((s) => [s.startSec, s.endSec]), [[0.2, 0.5]], 'the real computation found the tone burst');
  const failed = JSON.parse(readFileSync(join(queueDir, 'failed', 'job-broken.json'), 'utf8')) as { error: string };
  t.match(failed.error, /not a WAV file/);
});
