import { DaemonRequestError } from '../control/client.js';
import { BudgetStore, type Budget, type BudgetInForce } from '../scheduler/budget-store.js';
import { schedulerSection } from '../scheduler/config.js';
import { resumeAtC } from '../scheduler/thermal-rules.js';
import { localConfig } from '../scheduler/cli-support.js';
import { requestDaemon, type DaemonTarget } from './daemon-flags.js';

/** Where a budget came from: the running daemon, or the file a stopped one will read when it starts. */
export type BudgetSource = 'daemon' | 'saved';

/** The budget store of the config's data dir, with the config's limits as defaults. */
export async function openBudget(configFile: string | undefined): Promise<BudgetStore> {
  const config = localConfig(configFile);
  const s = schedulerSection(config);
  const store = new BudgetStore(config.dataDir, { powerBudgetWatts: s.powerBudgetWatts, softC: s.thermal.softC, hardC: s.thermal.hardC, hysteresisC: s.thermal.hysteresisC });
  await store.load();
  return store;
}

/**
 * The budget in force, asked of the daemon (its socket, or --site): its config, data dir and
 * live `budget set` changes need not be those this shell's config points at. Only when the
 * local daemon is not running is it read from the saved file. A --site request never fails
 * with not_running (remote errors are RemoteCommandError), so a remote site is never
 * answered with this box's file.
 */
export async function budgetInForce(target: DaemonTarget): Promise<{ budget: Budget & Partial<BudgetInForce>; source: BudgetSource; unreadable?: string }> {
  try {
    // A daemon from before BudgetInForce answers the four values alone.
    return { budget: (await requestDaemon('budget.show', {}, target, 10_000)) as Budget & Partial<BudgetInForce>, source: 'daemon' };
  } catch (err) {
    if (!isNotRunning(err)) throw err;
    const store = await openBudget(target.config);
    // A saved file a power cut left unreadable: the config's values are shown, and why.
    return { budget: store.inForce(), source: 'saved', ...(store.unreadable !== undefined ? { unreadable: store.unreadable } : {}) };
  }
}

export function isNotRunning(err: unknown): boolean {
  return err instanceof DaemonRequestError && err.code === 'not_running';
}

const watts = (w: number | null): string => (w === null ? 'none' : `${w} W`);

/** Each value's name and how it reads, to say what an override replaces. */
const NAMES: Record<keyof Budget, string> = { powerBudgetWatts: 'power budget', softC: 'soft', hardC: 'hard', hysteresisC: 'hysteresis' };
const valueOf = (k: keyof Budget, b: Budget): string => (k === 'powerBudgetWatts' ? watts(b.powerBudgetWatts) : `${b[k]} °C`);

export function describeBudget(b: Budget & Partial<BudgetInForce>): string[] {
  const lines = [`power budget  ${watts(b.powerBudgetWatts)}`, `thermal       soft ${b.softC} °C, hard ${b.hardC} °C, resume below ${resumeAtC(b)} °C`];
  // Overrides hold over the config until set again: say which, and what the config has.
  const { config, overridden = [] } = b;
  if (config && overridden.length > 0) lines.push(`overrides     ${overridden.map((k) => `${NAMES[k]} ${valueOf(k, b)} (config: ${valueOf(k, config)})`).join(', ')}: set by earshot budget set, kept over the config until earshot budget set --reset`);
  return lines;
}
