/**
 * The English ITN suite: every case in cases.tsv through the plugin's normalizer, exact match
 * per category, at least 95% in each; the plugin README must show the table printed here.
 */
import t from 'tap';
import { join } from 'node:path';
import { normalizeEnglish } from '@earshot/plugin-itn-en';
import { repoRoot } from '../../helpers/paths.js';
import { accuracyTable, readCases, score, tableInReadme } from './suite.js';

const cases = readCases(join(repoRoot, 'test', 'plugins', 'itn-en', 'cases.tsv'));
const result = score(cases, (text) => normalizeEnglish(text));
const table = accuracyTable(result.scores);

t.test('the case file covers every category with enough cases', async (t) => {
  t.ok(cases.length >= 300, `${cases.length} cases`);
  const categories = result.scores.map((s) => s.category);
  for (const c of ['cardinal', 'ordinal', 'decimal', 'fraction', 'money', 'percent', 'date', 'time', 'measure', 'telephone', 'unchanged']) {
    t.ok(categories.includes(c), `category ${c} present`);
  }
});

t.test('exact match is at least 95% in every category', async (t) => {
  for (const line of table.split('\n')) t.comment(line);
  for (const f of result.failures) t.comment(`miss (cases.tsv:${f.line}) ${f.category}: "${f.spoken}" → "${f.got}", want "${f.written}"`);
  for (const s of result.scores) {
    t.ok(s.exact / s.cases >= 0.95, `${s.category}: ${s.exact}/${s.cases}`);
  }
});

t.test('the plugin README shows the accuracy this suite measures', async (t) => {
  t.equal(tableInReadme(join(repoRoot, 'plugins', 'itn-en', 'README.md')), table);
});
