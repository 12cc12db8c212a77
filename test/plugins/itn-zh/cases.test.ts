/**
 * The Chinese ITN suite: every case in cases.tsv through the plugin's normalizer, exact match
 * per category, at least 95% in each; the plugin README must show the table printed here.
 */
import t from 'tap';
import { join } from 'node:path';
import { normalizeChinese } from '@earshot/plugin-itn-zh';
import { repoRoot } from '../../helpers/paths.js';
import { runSuite } from '../itn-en/suite.js';

runSuite(t, {
  casesFile: join(repoRoot, 'test', 'plugins', 'itn-zh', 'cases.tsv'),
  readme: join(repoRoot, 'plugins', 'itn-zh', 'README.md'),
  minCases: 150,
  normalize: (text) => normalizeChinese(text),
});
