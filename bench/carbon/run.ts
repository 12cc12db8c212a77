/**
 * A week of a branch office, simulated minute by minute against a recorded grid trace:
 * (a) every recording is transcribed as soon as it arrives, at full speed;
 * (b) the Earshot policy (daemon/scheduler/policy.ts, the same pure function the daemon
 *     runs) decides when and how hard to work.
 * Both rows come from one run over the same arrivals, box model and thermal profile.
 *
 *   node dist/bench/carbon/run.js [--hours-per-day 6] [--rtf 0.5] [--budget 25] [--forecast-error 0.1]
 *
 * Not a timed test: it prints figures, it does not assert them (see bench/carbon/README.md).
 */
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseForecastCsv } from '../../daemon/energy/carbon/forecast-parsers.js';
import type { IntensityPoint } from '../../daemon/energy/carbon/types.js';
import { decide, type PolicyJob, type PolicyLimits, type ThermalState } from '../../daemon/scheduler/policy.js';

const MIN = 60e3;
const H = 3600e3;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

const HOURS_PER_DAY = flag('hours-per-day', 6);
/** Processing time ÷ audio time at full threads on this box. */
const RTF = flag('rtf', 0.5);
const BUDGET_W = flag('budget', 25);
const FORECAST_ERROR = flag('forecast-error', 0.1);

// The box: an Intel NUC-class x86 (power model of daemon/energy/cpu-power-profile.ts, intel-core).
const BOX = { idleWatts: 6, wattsPerThread: 5.5, maxThreads: 4 };
const LIMITS: PolicyLimits = { maxThreads: BOX.maxThreads, maxConcurrency: 1, powerBudgetWatts: BUDGET_W, thermal: { softC: 75, hardC: 90, hysteresisC: 5 }, minCarbonSaving: 0.05, deadlineSafety: 1.5 };
// First-order thermal model: the SoC settles at ambient + R·P with time constant TAU.
const THERMAL = { rCPerWatt: 2.4, tauMin: 8 };

const here = dirname(fileURLToPath(import.meta.url));
const tracePath = join(here, '../../../bench/carbon/gb-national-2023-03-14.csv');
const traceFile = (() => {
  try {
    return readFileSync(tracePath, 'utf8');
  } catch {
    return readFileSync(join(here, 'gb-national-2023-03-14.csv'), 'utf8');
  }
})();
const actual: IntensityPoint[] = parseForecastCsv(traceFile, 'gb-national-2023-03-14.csv');
const start = Date.parse('2023-03-14T06:00:00Z');
const end = actual[actual.length - 1]!.toMs;

/** The forecast the policy sees: the recorded values off by a deterministic ±FORECAST_ERROR. */
const forecastAll: IntensityPoint[] = actual.map((p, i) => ({ ...p, gPerKWh: p.gPerKWh * (1 + FORECAST_ERROR * Math.sin(i * 2.399963)) }));
const intensityAt = (t: number): number => actual.find((p) => p.fromMs <= t && t < p.toMs)?.gPerKWh ?? actual[actual.length - 1]!.gPerKWh;

/** Office ambient temperature: 19 °C at night, up to 29 °C mid-afternoon on working days (server cupboard). */
function ambientC(t: number): number {
  const d = new Date(t);
  const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
  const workday = d.getUTCDay() >= 1 && d.getUTCDay() <= 5;
  const peak = workday ? 29 : 23;
  return 19 + (peak - 19) * Math.max(0, Math.sin(((hour - 7) / 14) * Math.PI));
}

interface Job extends PolicyJob {
  /** Remaining work in full-speed milliseconds. */
  remainingMs: number;
  finishedMs?: number;
}

/** Recordings of equal length arriving evenly across office hours (08:00–18:00) on Tue–Fri. */
function arrivals(): Job[] {
  const jobs: Job[] = [];
  const perDay = 24;
  const audioMs = (HOURS_PER_DAY * H) / perDay;
  for (let day = 0; day < 4; day++) {
    const office = Date.parse('2023-03-14T08:00:00Z') + day * 24 * H;
    for (let k = 0; k < perDay; k++) {
      const at = office + Math.round((k * 10 * H) / perDay / MIN) * MIN;
      const work = audioMs * RTF;
      jobs.push({ id: `d${day}-r${k}`, priority: 'batch', submittedAtMs: at, deadlineMs: at + 24 * H, expectedMs: work, remainingMs: work });
    }
  }
  return jobs;
}

interface Totals {
  workKWh: number;
  boxKWh: number;
  gCO2e: number;
  deadlinesMet: number;
  jobs: number;
  peakC: number;
  overSoftS: number;
  overBudgetS: number;
}

type Step = (now: number, waiting: Job[], running: Job[], tempC: number, state: ThermalState) => { start: Job[]; threads: number; state: ThermalState };

function simulate(step: Step): Totals {
  const all = arrivals();
  const waiting: Job[] = [];
  let running: Job[] = [];
  let tempC = ambientC(start);
  let state: ThermalState = 'normal';
  const totals: Totals = { workKWh: 0, boxKWh: 0, gCO2e: 0, deadlinesMet: 0, jobs: all.length, peakC: tempC, overSoftS: 0, overBudgetS: 0 };
  let next = 0;
  for (let now = start; now < end; now += MIN) {
    while (next < all.length && all[next]!.submittedAtMs <= now) waiting.push(all[next++]!);
    const d = step(now, waiting, running, tempC, state);
    state = d.state;
    for (const j of d.start) {
      waiting.splice(waiting.indexOf(j), 1);
      running.push(j);
    }
    const threads = running.length > 0 ? d.threads : 0;
    const busyThreads = threads * running.length;
    const progress = MIN * (threads / BOX.maxThreads);
    // Thread-minutes actually used: a job that finishes mid-minute only draws until then.
    let threadMinutes = 0;
    for (const j of running) {
      const used = progress > 0 ? Math.min(1, j.remainingMs / progress) : 0;
      threadMinutes += threads * used;
      j.remainingMs -= progress;
      if (j.remainingMs <= 0) j.finishedMs = now + used * MIN;
    }
    running = running.filter((j) => j.finishedMs === undefined);
    const watts = BOX.idleWatts + busyThreads * BOX.wattsPerThread;
    const workKWh = (threadMinutes * BOX.wattsPerThread * 60) / 3.6e6;
    totals.workKWh += workKWh;
    totals.boxKWh += (BOX.idleWatts * 60) / 3.6e6 + workKWh;
    totals.gCO2e += workKWh * intensityAt(now);
    if (watts > BUDGET_W) totals.overBudgetS += 60;
    const target = ambientC(now) + THERMAL.rCPerWatt * watts;
    tempC += (target - tempC) * (1 - Math.exp(-1 / THERMAL.tauMin));
    totals.peakC = Math.max(totals.peakC, tempC);
    if (tempC > LIMITS.thermal.softC) totals.overSoftS += 60;
  }
  for (const j of all) if (j.finishedMs !== undefined && j.finishedMs <= j.deadlineMs) totals.deadlinesMet++;
  return totals;
}

// (a) Run immediately: first come first served, one job at a time, all threads.
const immediate = simulate((_now, waiting, running) => ({ start: running.length === 0 && waiting[0] ? [waiting[0]] : [], threads: BOX.maxThreads, state: 'normal' }));

// (b) The Earshot policy, asked every simulated minute.
let lastThreads = BOX.maxThreads;
const policy = simulate((now, waiting, running, tempC, state) => {
  const d = decide({
    nowMs: now,
    queue: waiting,
    running,
    forecast: forecastAll.filter((p) => p.toMs > now && p.fromMs < now + 48 * H),
    limits: LIMITS,
    temperatureC: tempC,
    thermalState: state,
    power: { idleWatts: BOX.idleWatts, wattsPerThread: BOX.wattsPerThread, measuredWatts: BOX.idleWatts + running.length * lastThreads * BOX.wattsPerThread, busyThreads: running.length * lastThreads },
    model: { loaded: true, lastUsedMs: now, idleUnloadMs: 10 * MIN, preloadMs: 5 * MIN, memoryPressure: false },
  });
  lastThreads = d.threads;
  const byId = new Map(waiting.map((j) => [j.id, j]));
  return { start: d.run.map((id) => byId.get(id)!).filter(Boolean), threads: d.pauseBatch ? 0 : d.threads, state: d.thermalState };
});

const row = (name: string, r: Totals): string =>
  `${name.padEnd(22)} ${r.workKWh.toFixed(3).padStart(9)} ${r.gCO2e.toFixed(1).padStart(9)} ${r.boxKWh.toFixed(3).padStart(9)} ${`${r.deadlinesMet}/${r.jobs}`.padStart(10)} ${r.peakC.toFixed(1).padStart(8)} ${String(r.overSoftS).padStart(9)} ${String(r.overBudgetS).padStart(10)}`;

const audioH = HOURS_PER_DAY * 4;
console.log(`Earshot carbon benchmark: ${audioH} h of office recordings (Tue–Fri 08:00–18:00, 24 h deadlines), RTF ${RTF} at ${BOX.maxThreads} threads`);
console.log(`grid trace: GB national carbon intensity 2023-03-14 .. 2023-03-19 (NESO Carbon Intensity API, recorded; bench/carbon/README.md)`);
console.log(`policy forecast = recorded values ±${(FORECAST_ERROR * 100).toFixed(0)} % error; box ${BOX.idleWatts} W idle + ${BOX.wattsPerThread} W/thread; budget ${BUDGET_W} W; thermal soft ${LIMITS.thermal.softC} °C / hard ${LIMITS.thermal.hardC} °C`);
console.log('');
console.log(`${'scenario'.padEnd(22)} ${'kWh work'.padStart(9)} ${'gCO2e'.padStart(9)} ${'kWh box'.padStart(9)} ${'deadlines'.padStart(10)} ${'peak °C'.padStart(8)} ${'s > soft'.padStart(9)} ${'s > budget'.padStart(10)}`);
console.log(row('(a) run immediately', immediate));
console.log(row('(b) earshot policy', policy));
const saving = 1 - policy.gCO2e / immediate.gCO2e;
console.log('');
console.log(`CO2e of the work: ${(saving * 100).toFixed(1)} % less with the policy; mean intensity ${(immediate.gCO2e / immediate.workKWh).toFixed(0)} → ${(policy.gCO2e / policy.workKWh).toFixed(0)} gCO2e/kWh`);
console.log(`peak temperature vs hard limit ${LIMITS.thermal.hardC} °C: (a) ${immediate.peakC.toFixed(1)} °C, (b) ${policy.peakC.toFixed(1)} °C`);
const goal = saving >= 0.3 && policy.deadlinesMet === policy.jobs && policy.overBudgetS === 0;
console.log(`goal (≥ 30 % less CO2e, every deadline met, 0 s over the power budget): ${goal ? 'met' : 'NOT met'}`);
