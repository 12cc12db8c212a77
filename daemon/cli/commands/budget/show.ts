import { EarshotCommand } from '../../earshot-command.js';
import { daemonFlags } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { BudgetStore, type Budget } from '../../../scheduler/budget-store.js';
import { schedulerSection } from '../../../scheduler/config.js';
import { localConfig } from '../../../scheduler/cli-support.js';

/** The budget store of the config's data dir, with the config's limits as defaults. */
export async function openBudget(configFile: string | undefined): Promise<BudgetStore> {
  const config = localConfig(configFile);
  const s = schedulerSection(config);
  const store = new BudgetStore(config.dataDir, { powerBudgetWatts: s.powerBudgetWatts, softC: s.thermal.softC, hardC: s.thermal.hardC, hysteresisC: s.thermal.hysteresisC });
  await store.load();
  return store;
}

export function describeBudget(b: Budget): string[] {
  return [
    `power budget  ${b.powerBudgetWatts === null ? 'none' : `${b.powerBudgetWatts} W`}`,
    `thermal       soft ${b.softC} °C, hard ${b.hardC} °C, resume below ${b.softC - b.hysteresisC} °C`,
  ];
}

export default class BudgetShow extends EarshotCommand {
  static override summary = 'Show the power budget and thermal limits in force (config plus `budget set` overrides).';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> budget show', '<%= config.bin %> budget show --json'];
  static override flags = { ...daemonFlags };

  async run(): Promise<Budget> {
    const { flags } = await this.parse(BudgetShow);
    let budget: Budget;
    try {
      budget = (await openBudget(flags.config)).current();
    } catch (err) {
      failCommand(this, err);
    }
    for (const l of describeBudget(budget)) this.log(l);
    return budget;
  }
}
