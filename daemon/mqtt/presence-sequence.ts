import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log/logger.js';
import { MAX_PRESENCE_SEQUENCE } from './payloads/status.js';

/**
 * The order of a box's connections to its broker, kept across restarts in one small file, so
 * an offering site can tell the newest `online` from a replayed older one without trusting
 * the box's clock (which an NTP step may move back). Each number is one more than the last,
 * and never less than the Unix time in milliseconds: a box whose file was lost (reinstalled)
 * still starts ahead of the numbers it used before, as long as its clock is right, and even a
 * reconnect storm (one every 50 ms at most) does not run ahead of the clock.
 */
export class PresenceSequence {
  private last: number | undefined;
  private warned = false;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  next(): number {
    this.last ??= this.read();
    const value = Math.min(Math.max(this.last + 1, Math.floor(this.now())), MAX_PRESENCE_SEQUENCE);
    this.last = value;
    this.write(value);
    return value;
  }

  private read(): number {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8').trim();
    } catch {
      return 0; // none yet: the clock starts it
    }
    const value = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
    if (value <= MAX_PRESENCE_SEQUENCE) return value;
    this.logger.warn('the MQTT connection sequence file holds no usable number; starting again from the clock', { file: this.file });
    return 0;
  }

  /** Written before the number is used, and synced: a number is never handed out twice. */
  private write(value: number): void {
    const temp = `${this.file}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o750 });
      const fd = openSync(temp, 'w', 0o640);
      try {
        writeSync(fd, `${value}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.file);
      // And the rename itself, or a power cut could bring back the number before.
      const dir = openSync(dirname(this.file), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch (err) {
      // The order still holds within this run; after a restart the clock starts it again.
      if (!this.warned) this.logger.warn('cannot keep the MQTT connection sequence; offering sites fall back to the clock after a restart', { file: this.file, err });
      this.warned = true;
    }
  }
}
