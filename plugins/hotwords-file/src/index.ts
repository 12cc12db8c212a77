/**
 * @earshot/plugin-hotwords-file — site vocabulary for the decoder from a list file, reloaded
 * when the file changes or on a cron schedule.
 * @packageDocumentation
 */
import { resolve } from 'node:path';
import { definePlugin } from '@earshot/sdk';
import { HotwordFile, type HotwordsFileConfig } from './hotword-file.js';

export { parseHotwordList, formatFor } from './parse-list.js';
export type { ListOptions, ListProblem, ParsedList } from './parse-list.js';
export { readHotwordFile } from './hotword-file.js';
export type { HotwordsFileConfig } from './hotword-file.js';

export default definePlugin<HotwordsFileConfig>({
  description: 'Hotwords from a list file (phrase[:weight] lines or CSV), reloaded on change',
  async create(ctx) {
    const { config } = ctx;
    if (config.file === null) {
      ctx.logger.info('no hotword list configured (plugins.config.hotwords-file.file); providing none');
      return { hotwordProvider: { hotwords: () => [] } };
    }
    const list = new HotwordFile(ctx, resolve(config.file));
    await list.reload();
    if (config.watch) ctx.watchFile(config.file, () => list.reload());
    if (config.refresh !== null) ctx.schedule(config.refresh, () => list.reload());
    return { hotwordProvider: { hotwords: () => list.hotwords } };
  },
});
