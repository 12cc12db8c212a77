import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { MODEL_SAMPLE_RATE } from '../../daemon/audio/types.js';
import { wavHeader } from '../../daemon/audio/wav-writer.js';
import { fixturesDir } from './paths.js';

/**
 * A long 16-bit recording at `path`: the fixture's (speech, pause, speech) `copies` times,
 * which the energy VAD cuts into two segments a copy (5.5 s of audio each). Returns the
 * number of segments.
 */
export async function writeLongRecording(path: string, copies: number): Promise<number> {
  const one = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const pcm = Buffer.alloc(one.length * 2 * copies);
  for (let i = 0; i < one.length; i++) {
    const sample = Math.max(-32768, Math.min(32767, Math.round(one[i]! * 32767)));
    for (let k = 0; k < copies; k++) pcm.writeInt16LE(sample, (k * one.length + i) * 2);
  }
  writeFileSync(path, Buffer.concat([wavHeader({ sampleRate: MODEL_SAMPLE_RATE, channels: 1, bitsPerSample: 16, format: 'pcm', dataBytes: pcm.length }), pcm]));
  return copies * 2;
}
