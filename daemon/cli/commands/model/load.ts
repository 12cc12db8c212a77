import { EarshotCommand } from '../../earshot-command.js';
import type { ModelTelemetry } from '../../../scheduler/model-lifecycle.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { printModelState } from '../../model-state.js';

export default class ModelLoad extends EarshotCommand {
  static override summary = 'Load the configured ASR model in the running daemon now (instead of on the first job).';
  static override description = 'The scheduler still unloads it after model.idleUnloadSec without work, on memory pressure or above the hard thermal limit.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> model load', '<%= config.bin %> model load --json'];
  static override flags = { ...daemonFlags };

  async run(): Promise<ModelTelemetry> {
    const { flags } = await this.parse(ModelLoad);
    try {
      const state = (await requestDaemon('model.load', {}, flags, 120_000)) as ModelTelemetry;
      printModelState(this, state);
      return state;
    } catch (err) {
      failCommand(this, err);
    }
  }
}
