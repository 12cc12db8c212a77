import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FbankComputer } from '../../../daemon/asr/features/fbank.js';
import { KALDI_DEFAULTS, type FbankOptions } from '../../../daemon/asr/features/fbank-options.js';
import { ICEFALL_FBANK, senseVoiceFbank } from '../../../daemon/asr/features/presets.js';
import { readWavFile } from '../../../daemon/asr/wav-file.js';
import { fixturesDir } from '../../helpers/paths.js';

interface RefCase {
  name: string;
  sampleScale: number;
  frames: number;
  bins: number;
  torchaudio: Record<string, number | string | boolean>;
}

const dir = join(fixturesDir, 'asr');
const meta = JSON.parse(readFileSync(join(dir, 'fbank-reference.json'), 'utf8')) as { wav: string; cases: RefCase[] };
const audio = readWavFile(join(dir, meta.wav));

/** Our options from the torchaudio keyword arguments recorded by make-fbank-reference.py. */
function optionsFor(c: RefCase): FbankOptions {
  const k = c.torchaudio;
  return {
    ...KALDI_DEFAULTS,
    numBins: Number(k.num_mel_bins),
    frameLengthMs: Number(k.frame_length),
    frameShiftMs: Number(k.frame_shift),
    windowType: k.window_type as FbankOptions['windowType'],
    preemphCoeff: Number(k.preemphasis_coefficient),
    removeDcOffset: Boolean(k.remove_dc_offset),
    snipEdges: Boolean(k.snip_edges),
    lowFreq: Number(k.low_freq),
    highFreq: Number(k.high_freq),
    sampleScale: c.sampleScale,
  };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

t.test('matches torchaudio.compliance.kaldi.fbank on real speech', async (t) => {
  t.equal(audio.sampleRate, 16000);
  for (const c of meta.cases) {
    const buf = readFileSync(join(dir, `${c.name}.f32`));
    const ref = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const ours = new FbankComputer(optionsFor(c)).compute(audio.samples);
    t.equal(ours.numFrames, c.frames, `${c.name}: frame count`);
    t.equal(ours.dim, c.bins, `${c.name}: bins`);
    const diff = maxAbsDiff(ours.data, ref);
    t.ok(diff < 1e-3, `${c.name}: max abs difference ${diff.toExponential(2)} < 1e-3`);
  }
});

t.test('the named presets are the reference cases', async (t) => {
  const [povey, hamming] = meta.cases;
  t.same(optionsFor(povey!), ICEFALL_FBANK, 'icefall preset = povey reference options');
  t.same(optionsFor(hamming!), senseVoiceFbank(false), 'SenseVoice preset = hamming/snip reference options');
});

t.test('frame counts follow snip_edges', async (t) => {
  const centred = new FbankComputer({ ...KALDI_DEFAULTS });
  const snipped = new FbankComputer({ ...KALDI_DEFAULTS, snipEdges: true });
  t.equal(centred.numFrames(16000), 100, 'centred frames: round(n / shift)');
  t.equal(snipped.numFrames(16000), 98, 'snipped frames: 1 + (n - 400) / 160');
  t.equal(snipped.numFrames(399), 0, 'shorter than one window gives no frames');
});

t.test('bad options fail with a message naming the option', async (t) => {
  t.throws(() => new FbankComputer({ ...KALDI_DEFAULTS, lowFreq: 9000 }), /lowFreq 9000/);
  t.throws(() => new FbankComputer({ ...KALDI_DEFAULTS, numBins: 2 }), /numBins 2/);
});
