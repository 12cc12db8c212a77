// Child for data-dir-lock tests: one DataDirLock in a process of its own (its own pid, or
// its own pid namespace under unshare), reporting on stdout, one line each:
//   held | refused <message> | error <message> | lost <reason> | log <line> | stopped
// argv[2]: JSON { dir, renewMs?, staleAfterMs?, waitInTakeoverFor?: file, emfileMs?: number }
//   waitInTakeoverFor: once it has decided to take over a lock (its log line says so), it
//   waits (blocking) until that file exists: a start slowed between its look and its takeover.
//   emfileMs: once held, uses up every file descriptor for that long (renewals run meanwhile).
// SIGTERM: stops the lock (a clean stop) and exits.
import { existsSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { DataDirLock } from '../../../daemon/data-dir-lock.js';
import { LogSink } from '../../../daemon/log/logger.js';

const options = JSON.parse(process.argv[2] ?? '{}') as { dir: string; renewMs?: number; staleAfterMs?: number; waitInTakeoverFor?: string; emfileMs?: number };
const say = (line: string) => process.stdout.write(line.replace(/\n/g, ' ') + '\n');

const logs = new LogSink({
  level: 'info',
  format: 'text',
  write: (line) => {
    say(`log ${line}`);
    if (options.waitInTakeoverFor && /taking over/.test(line)) {
      writeFileSync(`${options.waitInTakeoverFor}.waiting`, '');
      while (!existsSync(options.waitInTakeoverFor)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  },
});
const lock = new DataDirLock({ dir: options.dir, logger: logs.logger('daemon'), onLost: (reason) => say(`lost ${reason}`), renewMs: options.renewMs, staleAfterMs: options.staleAfterMs });

process.on('SIGTERM', () => {
  void lock.stop().then(() => {
    say('stopped');
    process.exit(0);
  });
});

try {
  await lock.start();
} catch (err) {
  const e = err as Error;
  say(`${e.name === 'DataDirInUseError' ? 'refused' : 'error'} ${e.message}`);
  process.exit(0);
}
say(`held pid=${process.pid}`);
if (options.emfileMs) {
  const fds: number[] = [];
  try {
    for (;;) fds.push(openSync('/dev/null', 'r'));
  } catch (err) {
    say(`fds exhausted (${(err as NodeJS.ErrnoException).code}) after ${fds.length}`);
  }
  setTimeout(() => {
    for (const fd of fds) closeSync(fd);
    say('fds released');
  }, options.emfileMs);
}
// Keeps running (the lock's timer is unref'd) until SIGTERM.
setInterval(() => undefined, 1 << 30);
