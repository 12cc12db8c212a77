import { EarshotCommand } from '../../earshot-command.js';
import type { ModelTelemetry } from '../../../scheduler/model-lifecycle.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { printModelState } from '../../model-state.js';

export default class ModelUnload extends EarshotCommand {
  static override summary = 'Unload the ASR model from the running daemon, freeing its memory (running jobs finish first).';
  static override description = 'The next job loads it again on demand.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> model unload', '<%= config.bin %> model unload --socket /run/earshot/control.sock'];
  static override flags = { ...daemonFlags };

  async run(): Promise<ModelTelemetry> {
    const { flags } = await this.parse(ModelUnload);
    try {
      const state = (await requestDaemon('model.unload', {}, flags, 120_000)) as ModelTelemetry;
      printModelState(this, state);
      return state;
    } catch (err) {
      failCommand(this, err);
    }
  }
}
