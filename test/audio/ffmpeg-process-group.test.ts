import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/paths.js';

/**
 * ffmpeg runs in a process group of its own: a terminal's Ctrl-C (SIGINT to the foreground
 * group) reaches the daemon alone, which ends the decode itself, and a job goes on through
 * the stop grace. Yet ffmpeg must not outlive a daemon that dies. The daemon is played by a
 * worker process in its own group, so that the signals reach no other test.
 */

const SECONDS = 60;
let flac: string;
t.before(() => {
  flac = join(tempDir(), 'long.flac');
  t.equal(spawnSync('sox', ['-n', '-r', '16000', flac, 'synth', String(SECONDS), 'sine', '440']).status, 0, 'sox writes FLAC');
});

/** Starts the worker on the FLAC; resolves with it and ffmpeg's pid once samples come. */
async function startWorker(): Promise<{ worker: ChildProcess; ffmpegPid: number; output: () => string; exited: Promise<void> }> {
  // Same loader flags as this process, so the worker runs from source (tap) or from dist (CI).
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const script = fileURLToPath(new URL(`./ffmpeg-group-worker${ext}`, import.meta.url));
  const worker = spawn(process.execPath, [...process.execArgv, script, flac], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  let out = '';
  worker.stdout!.setEncoding('utf8');
  const exited = new Promise<void>((resolve) => worker.once('close', () => resolve()));
  const ffmpegPid = await new Promise<number>((resolve, reject) => {
    worker.stdout!.on('data', (d: string) => {
      out += d;
      const m = /^ffmpeg (\d+|none)$/m.exec(out);
      if (m) m[1] === 'none' ? reject(new Error('the worker found no ffmpeg child')) : resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error(`the worker exited early: ${out}`)));
  });
  return { worker, ffmpegPid, output: () => out, exited };
}

/** Gone, or a zombie no one has reaped yet: either way it runs no more. */
function stillRunning(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  const state = /\) (\S)/.exec(readFileSync(stat, 'utf8'))?.[1];
  return state !== 'Z' && state !== 'X';
}

t.test("Ctrl-C to the daemon's process group does not reach ffmpeg: the decode goes on to the end", async (t) => {
  const { worker, output, exited } = await startWorker();
  process.kill(-worker.pid!, 'SIGINT');
  await exited;
  const report = JSON.parse(output().trim().split('\n').pop()!) as { samples: number; interrupted: boolean; error?: string };
  t.ok(report.interrupted, 'the worker (the daemon) got the SIGINT');
  t.equal(report.error, undefined, 'ffmpeg did not');
  t.equal(report.samples, SECONDS * 16000, 'every sample decoded');
});

t.test('ffmpeg does not outlive a daemon that dies (SIGKILL)', async (t) => {
  const { worker, ffmpegPid, exited } = await startWorker();
  t.ok(stillRunning(ffmpegPid), 'ffmpeg runs, blocked on the full pipe');
  process.kill(worker.pid!, 'SIGKILL');
  await exited;
  // Its next write fails (EPIPE: no reader left), and ffmpeg stops on that.
  const end = Date.now() + 5000;
  while (stillRunning(ffmpegPid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  t.notOk(stillRunning(ffmpegPid), 'ffmpeg ended');
});
