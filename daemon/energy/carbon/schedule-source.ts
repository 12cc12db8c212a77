import cron from 'node-cron';
import type { CarbonSource, IntensityPoint, IntensityReading } from './types.js';
import { validIntensity } from './types.js';

/**
 * A daily/weekly schedule of intensities, for sites that know their tariff or their solar
 * hours: cron-like windows (minute hour day-of-month month day-of-week, parsed by node-cron),
 * the first matching window wins, else the default. E.g. `{ "cron": "* 0-6 * * *",
 * "gPerKWh": 90 }` makes every minute from 00:00 to 06:59 a 90 g window.
 */
export interface ScheduleWindow {
  cron: string;
  gPerKWh: number;
}

interface ParsedWindow {
  gPerKWh: number;
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  dayOfWeek: Set<number>;
}

const SLOT_MS = 30 * 60 * 1000;

export class ScheduleCarbonSource implements CarbonSource {
  readonly name = 'schedule';
  private readonly windows: ParsedWindow[];

  /** Throws with the window's index and node-cron's complaint when a window is invalid. */
  constructor(
    windows: ScheduleWindow[],
    private readonly defaultGPerKWh: number,
    /** Evaluate the crons in UTC instead of the box's local time. */
    private readonly utc = false,
  ) {
    this.windows = windows.map((w, i) => parseWindow(w, i));
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  valueAt(t: number): number {
    const d = new Date(t);
    const f = this.utc
      ? { mi: d.getUTCMinutes(), h: d.getUTCHours(), dom: d.getUTCDate(), mo: d.getUTCMonth() + 1, dow: d.getUTCDay() }
      : { mi: d.getMinutes(), h: d.getHours(), dom: d.getDate(), mo: d.getMonth() + 1, dow: d.getDay() };
    for (const w of this.windows) {
      if (w.minute.has(f.mi) && w.hour.has(f.h) && w.dayOfMonth.has(f.dom) && w.month.has(f.mo) && (w.dayOfWeek.has(f.dow) || (f.dow === 0 && w.dayOfWeek.has(7)))) return w.gPerKWh;
    }
    return this.defaultGPerKWh;
  }

  current(nowMs: number): IntensityReading {
    return { gPerKWh: this.valueAt(nowMs), source: this.name, status: 'live', atMs: nowMs };
  }

  /** Half-hour periods aligned to the clock, valued at their start. */
  forecast(nowMs: number, horizonMs: number): IntensityPoint[] {
    const points: IntensityPoint[] = [];
    for (let from = Math.floor(nowMs / SLOT_MS) * SLOT_MS; from < nowMs + horizonMs; from += SLOT_MS) {
      points.push({ fromMs: from, toMs: from + SLOT_MS, gPerKWh: this.valueAt(from) });
    }
    return points;
  }
}

/**
 * Why node-cron refuses a window's expression (a minute of 99, the 31st of February), or
 * undefined when it takes it. Config validation asks too, so that `earshot config validate`
 * and `earshotd --check` refuse what the source would refuse only at start.
 */
export function cronProblem(expression: string): string | undefined {
  const check = cron.validateDetailed(expression);
  if (check.valid) return undefined;
  return `${JSON.stringify(expression)} is not a valid cron expression (${check.errors.map((e) => `${e.field}: ${e.message}`).join('; ')})`;
}

/** How a window's cron is written, for the message of one that is refused. */
export const CRON_HINT = 'use "minute hour day month weekday", e.g. "* 0-6 * * *"';

function parseWindow(w: ScheduleWindow, index: number): ParsedWindow {
  const where = `scheduler.carbon.schedule[${index}]`;
  if (!validIntensity(w.gPerKWh)) throw new Error(`${where}.gPerKWh: must be a number of gCO2e/kWh between 0 and 5000, got ${JSON.stringify(w.gPerKWh)}`);
  const problem = cronProblem(w.cron);
  if (problem !== undefined) throw new Error(`${where}.cron: ${problem}; ${CRON_HINT}`);
  const f = cron.parse(w.cron);
  const nums = (xs: Array<number | string>): Set<number> => new Set(xs.map(Number).filter((x) => Number.isFinite(x)));
  return { gPerKWh: w.gPerKWh, minute: nums(f.minute), hour: nums(f.hour), dayOfMonth: nums(f.dayOfMonth), month: nums(f.month), dayOfWeek: nums(f.dayOfWeek) };
}
