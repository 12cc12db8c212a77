import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { readBootClock, type BootClock } from '../hardware/boot-clock.js';
import { NewerFormatError, checkFormat, withFormat } from '../state-format.js';
import { readJson, writeDurable } from './durable-file.js';
import type { ThermalState } from './policy.js';

/**
 * A saved state is taken up at start only if saved this recently, by the boot clock. A restart
 * (systemd's, an upgrade's stop and start) takes seconds to a minute: the box is then about as
 * hot as when its work stopped, and one cooling from a limit stays throttled or paused until it
 * is below softC − hysteresisC, as it would have without the restart. After longer without the
 * daemon's work its heat sink has shed most of that heat, and the reading now decides: an old
 * state would keep a box that merely idles inside the hysteresis band throttled after every
 * start (the fault of the reverted 9f1949b).
 */
export const THERMAL_STATE_MAX_AGE_SEC = 120;

/**
 * A state other than normal is saved again once it has held this long by the boot clock since
 * its last save: a crash (SIGKILL, OOM, the watchdog) writes nothing at stop, and systemd's
 * restart would then find the state as old as its change and run unthrottled in the band.
 * A write a minute only while throttled or paused, never in normal.
 */
const REFRESH_AFTER_SEC = THERMAL_STATE_MAX_AGE_SEC / 2;

interface Saved {
  state: ThermalState;
  /** When the state began (wall clock, for people reading the file or the log). */
  since: string;
  temperatureC: number | null;
  savedAt: string;
  bootId: string;
  uptimeSec: number;
}

/** A saved state young enough to take up, and how old it is. */
export interface RestoredThermalState {
  state: ThermalState;
  temperatureC: number | undefined;
  since: string;
  ageSec: number;
}

const STATES: readonly string[] = ['normal', 'soft', 'hard'];

/**
 * The scheduler's thermal state on disk (`<dataDir>/scheduler/thermal-state.json`), so that a
 * restart inside the hysteresis band goes on as the daemon left it. Written durably when the
 * state changes, once a minute while it is not normal (refresh: a crash writes nothing at stop)
 * and once at stop (so its age is the time the daemon was down, not how long the state had
 * held); never on every pass, which would wear an SD card for nothing. A missing,
 * unreadable or old file is ignored with a log line: it only refines the start.
 */
export class ThermalStateFile {
  private since: { state: ThermalState; at: string } | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The file is in a newer release's format: left as it is (state-format.ts), neither read nor written. */
  private newer = false;
  /** The boot clock's uptime at the last write (tried, or found at restore): when the saved state is to be refreshed. */
  private writtenAtUptimeSec: number | undefined;

  constructor(
    private readonly dataDir: string,
    /** Where /proc is read (scheduler.thermal.sysfsRoot). */
    private readonly root: string,
    private readonly logger: Logger,
  ) {}

  private get file(): string {
    return join(this.dataDir, 'scheduler', 'thermal-state.json');
  }

  /** The state saved before this start, when it is one to take up. */
  async restore(): Promise<RestoredThermalState | undefined> {
    let saved: Saved | undefined;
    try {
      const raw = await readJson<unknown>(this.file);
      if (raw === undefined) return undefined;
      checkFormat(raw, this.file);
      saved = parse(raw);
      if (!saved) throw new Error('not a saved thermal state');
    } catch (err) {
      this.newer = err instanceof NewerFormatError;
      this.logger.warn(`the saved thermal state is ignored: ${(err as Error).message}; the temperature now decides${this.newer ? ', and the file is left as it is' : ''}`, { file: this.file });
      return undefined;
    }
    // Normal needs nothing taken up: the first reading decides, as without the file.
    if (saved.state === 'normal') return undefined;
    const ignored = (why: string): undefined => void this.logger.info(`thermal state ${saved.state} saved before the start is ignored: ${why}; the temperature now decides`, { file: this.file, savedAt: saved.savedAt });
    const clock = await readBootClock(this.root);
    if (!clock) return ignored('this box has no boot id and uptime (/proc) to tell how old it is by');
    if (clock.bootId !== saved.bootId) return ignored('it was saved before the box last booted');
    const ageSec = clock.uptimeSec - saved.uptimeSec;
    if (ageSec < 0) return ignored('it was saved later in this boot than now, which cannot be');
    if (ageSec > THERMAL_STATE_MAX_AGE_SEC) return ignored(`it was saved ${Math.round(ageSec)} s ago, more than ${THERMAL_STATE_MAX_AGE_SEC} s`);
    // Taken up, it keeps its start: the state did not end with the restart.
    this.since = { state: saved.state, at: saved.since };
    this.writtenAtUptimeSec = saved.uptimeSec;
    return { state: saved.state, temperatureC: saved.temperatureC ?? undefined, since: saved.since, ageSec };
  }

  /**
   * Saves `state` (a change, or the state at stop); writes one after another, and a failed
   * write is logged, never thrown: the daemon runs on without it.
   */
  save(state: ThermalState, temperatureC: number | undefined): Promise<void> {
    return this.write(state, temperatureC, () => true);
  }

  /**
   * At each scheduler pass: the state (other than normal) saved again when it has held
   * REFRESH_AFTER_SEC by the boot clock since its last write, so that a restart after a crash
   * finds it at most that old.
   */
  refresh(state: ThermalState, temperatureC: number | undefined): Promise<void> {
    if (state === 'normal') return this.writing;
    return this.write(state, temperatureC, (clock) => clock !== undefined && (this.writtenAtUptimeSec === undefined || clock.uptimeSec - this.writtenAtUptimeSec >= REFRESH_AFTER_SEC));
  }

  /** Queues a write of `state`, made if `due` says so by the boot clock when its turn comes. */
  private write(state: ThermalState, temperatureC: number | undefined, due: (clock: BootClock | undefined) => boolean): Promise<void> {
    if (this.newer) return this.writing;
    const now = new Date().toISOString();
    if (this.since?.state !== state) this.since = { state, at: now };
    const since = this.since.at;
    this.writing = this.writing.then(async () => {
      try {
        const clock = await readBootClock(this.root);
        if (!due(clock)) return;
        // Set before the write: a disk that refuses it is tried again a minute later, not at every pass.
        this.writtenAtUptimeSec = clock?.uptimeSec;
        const saved: Saved = { state, since, temperatureC: temperatureC ?? null, savedAt: now, bootId: clock?.bootId ?? '', uptimeSec: clock?.uptimeSec ?? -1 };
        const tmpDir = join(this.dataDir, 'scheduler', 'tmp');
        await mkdir(tmpDir, { recursive: true, mode: 0o750 });
        await writeDurable(tmpDir, this.file, JSON.stringify(withFormat(saved), null, 2) + '\n');
      } catch (err) {
        this.logger.warn('could not save the thermal state; a restart soon after starts from the temperature alone', { file: this.file, err });
      }
    });
    return this.writing;
  }
}

function parse(raw: unknown): Saved | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Partial<Record<keyof Saved, unknown>>;
  if (typeof r.state !== 'string' || !STATES.includes(r.state)) return undefined;
  if (typeof r.since !== 'string' || typeof r.savedAt !== 'string' || typeof r.bootId !== 'string' || typeof r.uptimeSec !== 'number') return undefined;
  if (r.temperatureC !== null && typeof r.temperatureC !== 'number') return undefined;
  return r as Saved;
}
