import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatFor, parseHotwordList, type ListOptions } from '@earshot/plugin-hotwords-file';
import { fixturesDir } from '../../helpers/paths.js';

const lists = join(fixturesDir, 'plugins', 'hotword-lists');
const options: ListOptions = { format: 'lines', defaultBoost: 1.5, maxBoost: 10, maxLength: 48, maxPhrases: 100 };

t.test('lines format: weights, comments, blank lines, and each refused line with its number', async (t) => {
  const parsed = parseHotwordList(readFileSync(join(lists, 'site.txt'), 'utf8'), options);
  t.same(parsed.hotwords, [
    { phrase: 'earshot', boost: 2.5 },
    { phrase: 'Jean-Luc Picard', boost: 3 },
    { phrase: "O'Neill", boost: 1.5 },
    { phrase: 'AT&T', boost: 1.5 },
    { phrase: 'St. Louis', boost: 1 },
  ]);
  t.same(parsed.problems, [
    { line: 8, message: 'weight "abc" is not a number; write e.g. "phrase:2.0"' },
    { line: 9, message: 'phrase "mail@example.com" contains "@"; only letters, digits, spaces and \' - . & + are allowed' },
    { line: 10, message: '"earshot" repeats line 2; the first one is kept' },
    { line: 11, message: 'phrase "this phrase is much too long to be a name anybody would say in one breath" is 73 characters, more than maxLength 48' },
    { line: 12, message: 'weight 11 is outside 0..10 (maxBoost)' },
  ]);
});

t.test('CSV format: quoted fields, header, per-row language, comment rows', async (t) => {
  const parsed = parseHotwordList(readFileSync(join(lists, 'site.csv'), 'utf8'), { ...options, format: 'csv', language: 'en' });
  t.same(parsed.hotwords, [
    { phrase: '深圳', boost: 2, language: 'zh' },
    { phrase: 'Ørsted', boost: 1.5, language: 'en' },
  ]);
  t.same(parsed.problems.map((p) => p.line), [3, 6, 7]);
  t.match(parsed.problems[0]?.message, /phrase "Smith, John" contains ","/, 'a quoted comma is read as part of the phrase, then refused');
  t.match(parsed.problems[2]?.message, /language "english" is not a BCP 47 tag/);
  t.throws(() => parseHotwordList('"open,1\n', { ...options, format: 'csv' }), /line 1: a quoted field is never closed/);
});

t.test('maxPhrases stops the list, and the format follows the file name on auto', async (t) => {
  const parsed = parseHotwordList('a\nb\nc\n', { ...options, maxPhrases: 2 });
  t.same(parsed.hotwords.map((h) => h.phrase), ['a', 'b']);
  t.same(parsed.problems, [{ line: 3, message: 'more than maxPhrases 2 phrases; the rest of the list is ignored' }]);
  t.equal(formatFor('/x/LIST.CSV', 'auto'), 'csv');
  t.equal(formatFor('/x/list.txt', 'auto'), 'lines');
  t.equal(formatFor('/x/list.csv', 'lines'), 'lines');
  t.same(parseHotwordList('\uFEFF# only a comment\r\n\r\nC++ : 2\r\n', options).hotwords, [{ phrase: 'C++', boost: 2 }]);
});
