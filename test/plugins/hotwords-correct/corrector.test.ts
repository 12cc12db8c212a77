import t from 'tap';
import { buildTargets, correctText, levenshtein, similarity, soundKey } from '@earshot/plugin-hotwords-correct';

const options = { threshold: 0.85, minLength: 4 };
const targets = buildTargets(['Earshot', 'Jetson Nano', 'Picard', 'Jean-Luc', 'acme', 'avoid', '深圳市', 'ok'], options);
const correct = (text: string): string => correctText(text, targets, options).text;

t.test('edit distance and sound keys', async (t) => {
  t.equal(levenshtein('kitten', 'sitting'), 3);
  t.equal(levenshtein('', 'abc'), 3);
  t.equal(levenshtein('abcdef', 'uvwxyz', 2), 3, 'a bounded distance stops at max + 1');
  t.equal(similarity('ofthe', 'avoid', 0.8), 0, 'below the floor counts as no similarity');
  t.equal(similarity('picard', 'pickard'), 1 - 1 / 7);
  t.equal(soundKey('Jetson'), soundKey('jet son'));
  t.equal(soundKey('Picard'), soundKey('pickard'));
  t.not(soundKey('Picard'), soundKey('pizza'));
});

t.test('near-misses become the hotword, with surrounding punctuation kept', async (t) => {
  t.equal(correct('the ear shot box'), 'the Earshot box');
  t.equal(correct('i bought a jet son nano.'), 'i bought a Jetson Nano.');
  t.equal(correct('captain pickard said'), 'captain Picard said');
  t.equal(correct('jean luc, hello'), 'Jean-Luc, hello');
  t.same(correctText('"pickard"!', targets, options).corrections, [{ from: '"pickard"!', to: 'Picard', score: 0.929 }]);
});

t.test('text that is not a near-miss stays exactly as it was', async (t) => {
  for (const text of ['one of the best', 'see you  tomorrow', 'pick art', 'Acme corp', 'acne treatment', 'ok computer', '']) {
    t.equal(correct(text), text, JSON.stringify(text));
  }
  t.equal(correct('深证市很大'), '深证市很大', 'one character in three differs: below the threshold');
  t.equal(correctText('深圳巿很大', buildTargets(['深圳市'], { threshold: 0.6, minLength: 4 }), { threshold: 0.6, minLength: 4 }).text, '深圳市很大');
});

t.test('a lower threshold corrects more', async (t) => {
  const loose = { threshold: 0.8, minLength: 4 };
  t.equal(correctText('pick art', buildTargets(['Picard'], loose), loose).text, 'Picard');
});
