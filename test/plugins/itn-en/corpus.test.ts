/**
 * The English normalizer on real text it was not written for: every word of the system
 * dictionary (wamerican) alone, and the fortune files (Debian's fortunes). Whatever it rewrites
 * must be a spoken number, and everything else must stay as it was.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findEdits, normalizeEnglish } from '@earshot/plugin-itn-en';

const DICTIONARY = '/usr/share/dict/words';
const FORTUNES = '/usr/share/games/fortunes';

/** Number words as a reader would list them, independent of the plugin's own tables. */
const TEEN = '(?:thir|four|fif|six|seven|eigh|nine)teen';
const TY = '(?:twen|thir|for|fif|six|seven|eigh|nine)ty';
const NUMBER_WORD = new RegExp(
  `\\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|${TEEN}|${TY}|hundred|thousand|million|billion|trillion` +
    `|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|${TEEN}th|${TY.replace('ty', 'tieth')}` +
    `|(?:hundred|thousand|million|billion)th|half|halves|quarters?)s?\\b`,
  'i',
);

t.test('a dictionary word alone changes only when it is a number word ≥ 10, into digits', async (t) => {
  const words = readFileSync(DICTIONARY, 'utf8').split('\n').filter(Boolean);
  t.ok(words.length > 50_000, `${words.length} words`);
  const changed = words.flatMap((w) => {
    const out = normalizeEnglish(w);
    return out === w ? [] : [{ w, out }];
  });
  t.ok(changed.some((c) => c.w === 'twenty' && c.out === '20'), 'number words do change');
  const wrong = changed.filter((c) => !NUMBER_WORD.test(c.w) || !/^\d[\d,]*(st|nd|rd|th)?$/.test(c.out));
  t.same(wrong, [], 'every change is a number word written in digits');
  for (const keep of ['one', 'second', 'first', 'may', 'march', 'half', 'won', 'once']) {
    t.equal(normalizeEnglish(keep), keep, `"${keep}" stays`);
  }
});

t.test('in the fortune files every rewritten span is a spoken number', async (t) => {
  const files = readdirSync(FORTUNES).filter((f) => !f.includes('.'));
  t.ok(files.length > 10, `${files.length} fortune files`);
  let edits = 0;
  const notNumbers: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(FORTUNES, f), 'utf8');
    for (const e of findEdits(text, { dateFormat: 'MDY' })) {
      edits++;
      const spoken = text.slice(e.start, e.end);
      if (!NUMBER_WORD.test(spoken)) notNumbers.push(`${f}: "${spoken}" → "${e.text}"`);
    }
  }
  t.ok(edits > 100, `${edits} rewrites`);
  t.same(notNumbers, []);
});
