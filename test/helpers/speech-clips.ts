import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, tempDir } from './paths.js';

/** `n` copies of the speech fixture in a fresh directory, each a different file (its job id rests on size and time). */
export function speechClips(n: number, prefix = 'earshot-clips-'): string[] {
  const dir = tempDir(prefix);
  const source = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  return Array.from({ length: n }, (_, i) => {
    const path = join(dir, `clip-${i}.wav`);
    // One more sample of silence per clip.
    writeFileSync(path, Buffer.concat([source, Buffer.alloc(2 * (i + 1))]));
    return path;
  });
}
