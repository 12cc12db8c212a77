import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './paths.js';

const LIBFAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'].find((p) => existsSync(p));

/**
 * A wall clock that a test can step like NTP does, for a real child process: libfaketime
 * (Debian package `faketime`) preloaded into it reads the offset from a file on every call.
 * Only CLOCK_REALTIME moves; the monotonic clock (Node's timers, performance.now) does not,
 * as with a real NTP step.
 */
export class SteppableClock {
  private readonly file = join(tempDir('earshot-clock-'), 'offset');
  private offsetSec = 0;

  constructor() {
    if (!LIBFAKETIME) throw new Error('libfaketime is not installed; install the Debian package: apt-get install -y faketime');
    writeFileSync(this.file, '+0\n');
  }

  /** Environment for the process whose clock this is. */
  env(): NodeJS.ProcessEnv {
    return { LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: this.file, FAKETIME_NO_CACHE: '1', DONT_FAKE_MONOTONIC: '1' };
  }

  /** Steps the wall clock by `seconds` (negative: backwards), relative to where it is now. */
  step(seconds: number): void {
    this.offsetSec += seconds;
    writeFileSync(this.file, `${this.offsetSec >= 0 ? '+' : ''}${this.offsetSec}\n`);
  }

  get offset(): number {
    return this.offsetSec;
  }
}
