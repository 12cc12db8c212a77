import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav } from '../../daemon/asr/wav-file.js';
import { wavSeconds } from '../../daemon/scheduler/wav-duration.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';

/**
 * A WAV's first bytes read as 'ascii' lose their high bit: 0xD2 0xC9 0xC6 0xC6 read as "RIFF",
 * so a file that is no WAV was taken for one by the transcribe command's reader and by the
 * run-time estimate. Both ask wavContainer() now, as the file decoder does.
 */
t.test('bytes that read as RIFF….WAVE only with their high bits cleared are not a WAV', async (t) => {
  const wav = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const forged = Buffer.from(wav);
  for (const at of [0, 1, 2, 3, 8, 9, 10, 11]) forged[at] = forged[at]! | 0x80;
  const dir = tempDir('earshot-riff-');
  writeFileSync(join(dir, 'real.wav'), wav);
  writeFileSync(join(dir, 'forged.wav'), forged);

  t.equal(decodeWav(wav).sampleRate, 16000, 'the real WAV is read');
  t.throws(() => decodeWav(forged, 'forged.wav'), /forged\.wav: not a RIFF\/WAVE file/);
  t.ok(((await wavSeconds(join(dir, 'real.wav'))) ?? 0) > 5, 'its length is read from its header');
  t.equal(await wavSeconds(join(dir, 'forged.wav')), undefined, 'the other has none');
});
