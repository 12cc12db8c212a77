import t from 'tap';
import { join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { LogSink } from '../../daemon/log/logger.js';
import { fixturesDir } from '../helpers/paths.js';

/**
 * A hotword the model cannot spell comes with every transcript (the plugins' list is handed
 * to each batch): the real recognizer warns about it once, not once per transcript.
 */
t.test('an unspellable hotword is logged once per phrase, not per transcript', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'debug', format: 'text', syslogPrefix: false, write: (line) => void lines.push(line) }).logger('asr');
  const model = await loadModel(join(fixturesDir, 'asr', 'models', 'nemo-ctc'), { providers: ['cpu'], logger });
  t.teardown(() => model.release());
  const audio = new Float32Array(16_000).map((_, i) => 0.1 * Math.sin(i / 5));
  const unspellable = (phrase: string) => lines.filter((l) => l.includes('hotword cannot be spelled') && l.includes(phrase)).length;

  for (let i = 0; i < 3; i++) await model.transcribeBatch([audio], { hotwords: [{ phrase: '§§', boost: 2 }, { phrase: 'the', boost: 2 }] });
  t.equal(unspellable('§§'), 1, 'three transcripts, one warning');
  t.equal(lines.filter((l) => l.includes('hotword cannot be spelled')).length, 1, 'a phrase it can spell is not reported');

  await model.transcribeBatch([audio], { hotwords: [{ phrase: '§§', boost: 2 }, { phrase: '¶¶', boost: 2 }] });
  t.equal(unspellable('¶¶'), 1, 'a new unspellable phrase is reported');
  t.equal(unspellable('§§'), 1, 'the old one still only once');
});
