/**
 * The English ITN suite: every case in cases.tsv through the plugin's normalizer, exact match
 * per category, at least 95% in each; the plugin README must show the table printed here.
 */
import t from 'tap';
import { join } from 'node:path';
import { normalizeEnglish } from '@earshot/plugin-itn-en';
import { repoRoot } from '../../helpers/paths.js';
import { runSuite } from './suite.js';

runSuite(t, {
  casesFile: join(repoRoot, 'test', 'plugins', 'itn-en', 'cases.tsv'),
  readme: join(repoRoot, 'plugins', 'itn-en', 'README.md'),
  minCases: 300,
  normalize: (text) => normalizeEnglish(text),
});
