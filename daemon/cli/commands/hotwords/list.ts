import { Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import type { Hotword } from '@earshot/sdk';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';

export default class HotwordsList extends EarshotCommand {
  static override summary = 'Show the hotwords the running daemon hands to the decoder, merged from every hotword plugin.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> hotwords list', '<%= config.bin %> hotwords list --language zh --json'];
  static override flags = {
    ...daemonFlags,
    language: Flags.string({ char: 'l', description: 'only phrases for this language (and those for any language)' }),
  };

  async run(): Promise<Hotword[]> {
    const { flags } = await this.parse(HotwordsList);
    let hotwords: Hotword[];
    try {
      hotwords = (await requestDaemon('hotwords.list', flags.language ? { language: flags.language } : {}, flags)) as Hotword[];
    } catch (err) {
      failCommand(this, err);
    }
    if (hotwords.length === 0) this.log('no hotwords (configure plugins.config.hotwords-file.file, or another hotword plugin)');
    for (const h of hotwords) this.log(`${h.phrase}  boost ${h.boost}${h.language ? `  [${h.language}]` : ''}`);
    return hotwords;
  }
}
