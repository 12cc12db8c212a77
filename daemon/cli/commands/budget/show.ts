import { EarshotCommand } from '../../earshot-command.js';
import { daemonFlags } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { budgetInForce, describeBudget, type BudgetSource } from '../../budget-in-force.js';
import type { Budget, BudgetInForce } from '../../../scheduler/budget-store.js';

export default class BudgetShow extends EarshotCommand {
  static override summary = 'Show the power budget and thermal limits in force (config plus `budget set` overrides).';
  static override description =
    'Asks the running daemon (through its socket, or a remote one with --site). When the local daemon is not running, shows the saved budget under the config\'s dataDir that it will use when it starts, and says so ("source": "saved"); a saved file that cannot be read (a power cut) is said ("unreadable"), and the config\'s values are shown, as the daemon will use them.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> budget show', '<%= config.bin %> budget show --json', '<%= config.bin %> budget show --site branch-7 --key-file ./command.key'];
  static override flags = { ...daemonFlags };

  async run(): Promise<Budget & Partial<BudgetInForce> & { source: BudgetSource; unreadable?: string }> {
    const { flags } = await this.parse(BudgetShow);
    let shown: Awaited<ReturnType<typeof budgetInForce>>;
    try {
      shown = await budgetInForce(flags);
    } catch (err) {
      failCommand(this, err);
    }
    for (const l of describeBudget(shown.budget)) this.log(l);
    if (shown.source === 'saved') this.log('the daemon is not running: this is the saved budget it will use when it starts');
    if (shown.unreadable !== undefined) this.warn(shown.unreadable);
    return { ...shown.budget, source: shown.source, ...(shown.unreadable !== undefined ? { unreadable: shown.unreadable } : {}) };
  }
}
