/**
 * Evaluation sets on disk: a directory with `transcripts.tsv` (`<id>\t<reference text>`) and
 * the audio as `wav/<id>.wav` (the ../shared/speech layout) or `<id>.wav` beside it (examples/).
 * A speech root holding several such directories is read as several sets.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Utterance {
  id: string;
  wav: string;
  reference: string;
}

export interface SpeechSet {
  name: string;
  dir: string;
  utterances: Utterance[];
}

function readSet(dir: string, name: string): SpeechSet {
  const tsv = join(dir, 'transcripts.tsv');
  const utterances: Utterance[] = [];
  readFileSync(tsv, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim() || line.startsWith('#')) return;
      const [id, reference] = line.split('\t');
      if (!id || reference === undefined) throw new Error(`${tsv}:${i + 1}: expected "<id>\\t<text>"`);
      const wav = [join(dir, 'wav', `${id}.wav`), join(dir, `${id}.wav`)].find((p) => existsSync(p));
      if (!wav) throw new Error(`${tsv}:${i + 1}: no wav/${id}.wav or ${id}.wav in ${dir}`);
      utterances.push({ id, wav, reference });
    });
  return { name, dir, utterances };
}

/** The sets under `root` (or `root` itself when it is a set). */
export function findSets(root: string): SpeechSet[] {
  if (existsSync(join(root, 'transcripts.tsv'))) return [readSet(root, root.split('/').filter(Boolean).pop() ?? root)];
  const sets = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'transcripts.tsv')))
    .map((e) => readSet(join(root, e.name), e.name));
  if (sets.length === 0) throw new Error(`${root}: no evaluation sets (directories with transcripts.tsv) found`);
  return sets;
}

/** Every k-th utterance in id order, so a limited run still covers all speakers and words. */
export function subsample(set: SpeechSet, limit: number): SpeechSet {
  if (set.utterances.length <= limit) return set;
  const sorted = [...set.utterances].sort((a, b) => a.id.localeCompare(b.id));
  const step = sorted.length / limit;
  const picked = Array.from({ length: limit }, (_, i) => sorted[Math.floor(i * step)]!);
  return { ...set, utterances: picked };
}
