import { execFileSync } from 'node:child_process';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './paths.js';

/**
 * A real small filesystem for disk-full tests: a size-limited tmpfs mounted on a fresh
 * directory. Mounting needs root (CAP_SYS_ADMIN), which the CI container has; elsewhere
 * `mount()` throws saying so.
 */
export class SmallDisk {
  readonly dir = tempDir('earshot-small-disk-');
  private mounted = false;
  private fillers: string[] = [];

  constructor(private readonly bytes: number) {}

  mount(): this {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${this.bytes},mode=0755`, 'earshot-test', this.dir], { stdio: 'pipe' });
    } catch (err) {
      const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || String(err);
      throw new Error(`cannot mount a ${this.bytes}-byte tmpfs on ${this.dir}: ${why}; disk-full tests need root (CAP_SYS_ADMIN), as in the CI container`);
    }
    this.mounted = true;
    return this;
  }

  /** Writes filler files until the filesystem says ENOSPC; returns the bytes written. */
  fill(): number {
    const path = join(this.dir, `filler-${this.fillers.length}`);
    this.fillers.push(path);
    const fd = openSync(path, 'w');
    const block = Buffer.alloc(64 * 1024, 0x5a);
    let written = 0;
    try {
      for (;;) {
        written += writeSync(fd, block);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      // Smaller writes use up the last partial block too.
      for (let size = 4096; size >= 1; size >>= 1) {
        try {
          for (;;) written += writeSync(fd, block, 0, size);
        } catch {
          // this size no longer fits; try a smaller one
        }
      }
    } finally {
      closeSync(fd);
    }
    return written;
  }

  /** Frees what fill() took. */
  free(): void {
    for (const f of this.fillers) unlinkSync(f);
    this.fillers = [];
  }

  unmount(): void {
    if (!this.mounted) return;
    // Lazy: a daemon that still holds a file open must not make the test hang.
    execFileSync('umount', ['-l', this.dir], { stdio: 'pipe' });
    this.mounted = false;
  }
}
