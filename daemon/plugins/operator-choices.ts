import { mkdirSync, readFileSync } from 'node:fs';
import { replaceFileSync } from '../scheduler/durable-file.js';
import { dirname, join } from 'node:path';
import { checkStateFormat, withFormat } from '../state-format.js';
import { lookup } from './slot.js';

/** What the operator chose with `earshot plugins enable|disable`, by plugin name. */
export type OperatorChoices = Record<string, 'enabled' | 'disabled'>;

/** Whether a plugin starts disabled: as the operator chose, else as `plugins.disabled` says. */
export function startsDisabled(choices: OperatorChoices, configDisabled: readonly string[], plugin: { name: string; alias: string }): boolean {
  const choice = lookup(choices, plugin);
  return choice !== undefined ? choice === 'disabled' : configDisabled.includes(plugin.name) || configDisabled.includes(plugin.alias);
}

/** The choices file of a data directory. */
export function operatorChoiceFile(dataDir: string): OperatorChoiceFile {
  return new OperatorChoiceFile(join(dataDir, 'plugins', 'state.json'));
}

/**
 * The operator's enable/disable choices, kept in `<dataDir>/plugins/state.json` so they survive
 * a restart; they win over the config's `plugins.disabled`.
 */
export class OperatorChoiceFile {
  constructor(private readonly file: string) {}

  /**
   * The saved choices. A file that is not JSON (empty or cut short by a power cut, a damaged
   * disk) gives none, with `unreadable` saying so: refusing the start for it left the box in a
   * restart loop, transcribing nothing. The next enable or disable writes it again.
   */
  read(): { choices: OperatorChoices; unreadable?: string } {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { choices: {} };
      throw err;
    }
    let parsed: { choices?: OperatorChoices };
    try {
      parsed = JSON.parse(text) as { choices?: OperatorChoices };
    } catch (err) {
      return { choices: {}, unreadable: `${this.file} is not valid JSON (${(err as Error).message}): the plugin enable/disable choices it held are not used, the config's plugins.disabled is; earshot plugins enable or disable writes it again` };
    }
    checkStateFormat(parsed, this.file, 'the `earshot plugins enable|disable` choices');
    return { choices: parsed.choices ?? {} };
  }

  write(choices: OperatorChoices): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o750 });
    replaceFileSync(this.file, JSON.stringify(withFormat({ choices }), null, 2) + '\n', 0o640);
  }
}
