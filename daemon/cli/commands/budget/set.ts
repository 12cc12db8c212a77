import { Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { budgetInForce, describeBudget, isNotRunning, openBudget } from '../../budget-in-force.js';
import { budgetProblem, type Budget, type BudgetChange } from '../../../scheduler/budget-store.js';
import type { BudgetSetResult } from '../../../scheduler/control-handlers.js';

export default class BudgetSet extends EarshotCommand {
  static override summary = 'Set the power budget and thermal limits; persisted, and applied at once by a running daemon.';
  static override enableJsonFlag = true;
  static override description =
    'A value set here overrides the config\'s (scheduler.powerBudgetWatts, scheduler.thermal.*) until set again, also over a config edited since; `earshot budget show` lists the overrides. --reset drops them all first: the config\'s values again, with the other flags given over them. Exits 2 when a value is not a decimal number, is out of its range, or breaks the thermal rules with the limits in force (hard above soft, hysteresis below soft), as config.schema.json has them; nothing is changed then.';
  static override examples = ['<%= config.bin %> budget set --watts 15', '<%= config.bin %> budget set --temp-soft 70 --temp-hard 85', '<%= config.bin %> budget set --watts none', '<%= config.bin %> budget set --reset'];
  static override flags = {
    ...daemonFlags,
    watts: Flags.string({ description: 'cap on the box draw in watts, or "none"' }),
    'temp-soft': Flags.string({ description: 'throttle above this temperature (°C)' }),
    'temp-hard': Flags.string({ description: 'pause batch work and unload the model above this temperature (°C)' }),
    hysteresis: Flags.string({ description: 'resume this many °C below the soft limit' }),
    reset: Flags.boolean({ description: "drop every earshot budget set override first: back to the config's values" }),
  };

  async run(): Promise<BudgetSetResult & { applied: 'live' | 'at next start' }> {
    const { flags } = await this.parse(BudgetSet);
    const change: BudgetChange = {};
    const number = (flag: string, v: string): number => {
      // Decimal only: Number() also takes 0x10 (16), 1e2 and ' 80 ', none of which an operator
      // typing watts or degrees means.
      if (!/^-?\d+(\.\d+)?$/.test(v)) this.error(`--${flag} must be a decimal number, got ${JSON.stringify(v)}`, { exit: 2, suggestions: [`e.g. --${flag} 80 or --${flag} 12.5`] });
      return Number(v);
    };
    if (flags.watts !== undefined) change.powerBudgetWatts = flags.watts === 'none' ? null : number('watts', flags.watts);
    if (flags['temp-soft'] !== undefined) change.softC = number('temp-soft', flags['temp-soft']);
    if (flags['temp-hard'] !== undefined) change.hardC = number('temp-hard', flags['temp-hard']);
    if (flags.hysteresis !== undefined) change.hysteresisC = number('hysteresis', flags.hysteresis);
    if (Object.keys(change).length === 0 && !flags.reset) this.error('nothing to set', { exit: 2, suggestions: ['give --watts, --temp-soft, --temp-hard, --hysteresis or --reset'] });
    const reset = flags.reset ? { reset: true } : {};

    // Checked against the budget the daemon holds (not this shell's config), before asking it,
    // so a bad value gets the same message whether or not the daemon runs.
    let held: Awaited<ReturnType<typeof budgetInForce>>['budget'];
    try {
      held = (await budgetInForce(flags)).budget;
    } catch (err) {
      failCommand(this, err);
    }
    const refused = budgetProblem({ ...(flags.reset && held.config ? held.config : held), ...change });
    // A value out of range or against the other limits is a bad flag, as a non-number is: exit 2.
    if (refused !== undefined) this.error(refused, { exit: 2, suggestions: ['earshot budget show lists the limits in force'] });

    let budget: BudgetSetResult;
    let applied: 'live' | 'at next start' = 'live';
    try {
      try {
        budget = (await requestDaemon('budget.set', { ...change, ...reset }, flags, 10_000)) as BudgetSetResult;
      } catch (err) {
        if (!isNotRunning(err)) throw err;
        const store = await openBudget(flags.config);
        await store.set(change, flags.reset);
        budget = store.inForce();
        applied = 'at next start';
      }
    } catch (err) {
      failCommand(this, err);
    }
    for (const l of describeBudget(budget)) this.log(l);
    this.log(applied === 'live' ? 'applied to the running daemon' : 'saved; the daemon is not running and will use it when it starts');
    // What the scheduler does with it now, as the daemon decided: a budget under the idle draw
    // stops all batch work; so does the hard limit, whatever the budget, which is said as such.
    const effect = budget.effect;
    if (effect?.pauseBatch) {
      // A daemon from before pausedBy says only that it paused.
      const pausedBy = effect.pausedBy ?? [];
      const because = (reason: string): string => effect.reasons.filter((r) => r.startsWith(reason)).join('; ');
      if (pausedBy.includes('power budget') || pausedBy.length === 0) this.warn(`batch work is paused with this budget: ${pausedBy.length === 0 ? effect.reasons.join('; ') : because('power budget')}`);
      if (pausedBy.includes('thermal hard limit')) this.warn(`batch work is paused at the thermal hard limit, whatever the budget: ${because('thermal hard limit')}`);
    } else if (effect && effect.reasons.length > 0) this.log(`now: ${effect.reasons.join('; ')}`);
    return { ...budget, applied };
  }
}
