/** The English normalizer on random mixes of number words, units and glue words. */
import t from 'tap';
import { normalizeEnglish } from '@earshot/plugin-itn-en';
import { fuzzNormalizer } from './suite.js';

const WORDS = (
  "zero oh one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty ninety hundred " +
  'thousand million billion first second third twenty-first point and a the of march may dollars cents euros ' +
  "percent per cent half quarter thirds past to at p m a.m. o'clock minus plus double kilometers degrees celsius " +
  'in morning , . dial'
).split(' ');

t.test('random spoken texts: no throw, no garbage, idempotent', async (t) => {
  fuzzNormalizer(t, (text) => normalizeEnglish(text), WORDS, ' ');
});
