/**
 * Debian's pocketsphinx (en-us acoustic model, default en-us LM and CMU dictionary) over many
 * files in one pocketsphinx_batch process, so its model is loaded once as ours is.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MODEL = '/usr/share/pocketsphinx/model/en-us';

export interface BatchResult {
  hypotheses: Map<string, string>;
  /** CPU seconds (user + sys) of the whole batch, model loading included. */
  cpuSec: number;
}

/** `wavDir` holds `<id>.wav` (16 kHz mono 16-bit) for every id. */
export function pocketsphinxBatch(wavDir: string, ids: readonly string[], workDir: string): BatchResult {
  const ctl = join(workDir, 'pocketsphinx.ctl');
  const hyp = join(workDir, 'pocketsphinx.hyp');
  writeFileSync(ctl, ids.join('\n') + '\n');
  const args = [
    '-adcin', 'yes', '-cepdir', wavDir, '-cepext', '.wav', '-ctl', ctl, '-hyp', hyp,
    '-hmm', join(MODEL, 'en-us'), '-lm', join(MODEL, 'en-us.lm.bin'), '-dict', join(MODEL, 'cmudict-en-us.dict'),
  ];
  // CPU time, not wall time: on a shared box the wall clock also measures the neighbours.
  const script = 'TIMEFORMAT="CPU %U %S"; time pocketsphinx_batch "$@" >/dev/null 2>"$0"';
  const res = spawnSync('bash', ['-c', script, join(workDir, 'pocketsphinx.log'), ...args], { encoding: 'utf8' });
  const m = /CPU ([\d.]+) ([\d.]+)/.exec(res.stderr ?? '');
  if (res.status !== 0 || !m) {
    throw new Error(`pocketsphinx_batch failed (exit ${res.status}, see ${join(workDir, 'pocketsphinx.log')}); install Debian's pocketsphinx and pocketsphinx-en-us`);
  }
  const hypotheses = new Map<string, string>();
  // each line: "<words> (<id> <score>)"
  for (const line of readFileSync(hyp, 'utf8').split('\n')) {
    const h = /^(.*)\((\S+) -?\d+\)\s*$/.exec(line);
    if (h) hypotheses.set(h[2]!, h[1]!.trim());
  }
  return { hypotheses, cpuSec: Number(m[1]) + Number(m[2]) };
}
