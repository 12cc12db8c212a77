import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, writeDurable } from './durable-file.js';
import { checkStateFormat, withFormat } from '../state-format.js';
import { thermalProblems, type ThermalLimits } from './thermal-rules.js';

/**
 * `earshot budget set` overrides of the power budget and thermal limits, persisted under
 * `<dataDir>/scheduler/budget.json` so they survive restarts; the scheduler reads the merged
 * values on every decision, so a change applies live.
 */
export interface Budget extends ThermalLimits {
  powerBudgetWatts: number | null;
}

export type BudgetChange = Partial<Budget>;

/**
 * The budget in force with where it comes from: the config's own values, and the keys that
 * `earshot budget set` overrides. An override holds until set again, over a config edited
 * since: without this, `budget show` gave 20 W after the config was changed to 30 W and the
 * daemon restarted, and nothing said why.
 */
export interface BudgetInForce extends Budget {
  config: Budget;
  overridden: Array<keyof Budget>;
}

export class BudgetStore {
  private overrides: BudgetChange = {};
  /** Why the saved overrides could not be read at load, until `set` writes them again. */
  private damaged: string | undefined;

  constructor(
    private readonly dataDir: string,
    /** From config (scheduler.powerBudgetWatts, scheduler.thermal.*). */
    private readonly defaults: Budget,
  ) {}

  private get file(): string {
    return join(this.dataDir, 'scheduler', 'budget.json');
  }

  /**
   * Reads the saved overrides. Saved against an earlier config, they may no longer fit the
   * config's limits (a soft limit set to 60 °C, then a config whose hard limit is 58 °C):
   * those that break the budget are not used (the file keeps them), so the daemon runs on a
   * budget that holds, and later `budget set` calls are checked against one. Returns what is
   * in force, what overrides the config, and what was set aside and why.
   */
  async load(): Promise<{ budget: Budget; overriding: BudgetChange; setAside?: { overrides: BudgetChange; why: string } }> {
    let file: (BudgetChange & { format?: number }) | undefined;
    try {
      file = await readJson<BudgetChange & { format?: number }>(this.file);
    } catch (err) {
      const why = (err as Error).message;
      // Not JSON (empty or cut short by a power cut, or a damaged disk): refusing the start
      // would leave the box in a restart loop, transcribing nothing, for a file that holds
      // only overrides. The config's limits hold until `budget set` writes it again.
      if (!(err instanceof SyntaxError)) throw new Error(`${this.file}: ${why}; fix or delete it (it only holds \`earshot budget set\` overrides)`);
      this.overrides = {};
      this.damaged = `${this.file} cannot be read (${why}): the config's power budget and thermal limits are used; earshot budget set writes it again`;
      return { budget: this.current(), overriding: {} };
    }
    checkStateFormat(file, this.file, 'the `earshot budget set` overrides');
    const { format: _format, ...saved } = file ?? {};
    this.overrides = saved;
    const why = budgetProblem({ ...this.defaults, ...this.overrides });
    if (why === undefined) return { budget: this.current(), overriding: this.overrides };
    // The thermal overrides are the ones the config's limits can contradict; the watts stand alone.
    const { softC: _soft, hardC: _hard, hysteresisC: _hysteresis, ...watts } = this.overrides;
    this.overrides = budgetProblem({ ...this.defaults, ...watts }) === undefined ? watts : {};
    const setAside = Object.fromEntries(Object.entries(saved).filter(([k]) => !(k in this.overrides))) as BudgetChange;
    return { budget: this.current(), overriding: this.overrides, setAside: { overrides: setAside, why } };
  }

  /** Why the saved overrides could not be read (the config's values hold meanwhile), if they could not. */
  get unreadable(): string | undefined {
    return this.damaged;
  }

  current(): Budget {
    return { ...this.defaults, ...this.overrides };
  }

  inForce(): BudgetInForce {
    return { ...this.current(), config: { ...this.defaults }, overridden: Object.keys(this.overrides) as Array<keyof Budget> };
  }

  /**
   * Validates the merged result, then persists it durably. With `reset`, the overrides saved
   * so far are dropped first: the config's values again, with `change` alone over them.
   */
  async set(change: BudgetChange, reset = false): Promise<Budget> {
    const kept = reset ? {} : this.overrides;
    const next = { ...this.defaults, ...kept, ...change };
    validateBudget(next);
    const overrides = { ...kept, ...change };
    await mkdir(join(this.dataDir, 'scheduler'), { recursive: true, mode: 0o750 });
    await mkdir(join(this.dataDir, 'scheduler', 'tmp'), { recursive: true, mode: 0o750 });
    await writeDurable(join(this.dataDir, 'scheduler', 'tmp'), this.file, JSON.stringify(withFormat(overrides), null, 2) + '\n');
    this.overrides = overrides;
    this.damaged = undefined;
    return next;
  }
}

/** What validateBudget would throw for `b`, or undefined when it holds. */
export function budgetProblem(b: Budget): string | undefined {
  try {
    validateBudget(b);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Each limit as `earshot budget set` takes it: the errors name the flag to change. */
const BUDGET_FLAGS: Record<keyof Budget, string> = { powerBudgetWatts: '--watts', softC: '--temp-soft', hardC: '--temp-hard', hysteresisC: '--hysteresis' };

export function validateBudget(b: Budget): void {
  const problems: string[] = [];
  if (b.powerBudgetWatts !== null && !(Number.isFinite(b.powerBudgetWatts) && b.powerBudgetWatts >= 1 && b.powerBudgetWatts <= 5000)) problems.push(`--watts must be between 1 and 5000 (or "none"), got ${b.powerBudgetWatts}`);
  for (const p of thermalProblems(b, (limit) => BUDGET_FLAGS[limit])) problems.push(`${BUDGET_FLAGS[p.limit]} ${p.message}`);
  if (problems.length > 0) throw new Error(problems.join('; '));
}
