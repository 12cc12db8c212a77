import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAll, openAudioFile } from '../../daemon/audio/decode-file.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { encodePcm, makeWav, sine } from './make-wav.js';

const audio = (name: string) => join(fixturesDir, 'audio', name);

/** Dominant frequency by counting upward zero crossings (enough for a clean tone). */
function toneHz(x: Float32Array, rate = 16000): number {
  let ups = 0;
  for (let i = 1; i < x.length; i++) if (x[i - 1]! < 0 && x[i]! >= 0) ups++;
  return (ups * rate) / x.length;
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i]! * x[i]!;
  return Math.sqrt(e / (to - from));
}

// The three files of the first "must show", written by sox (make-fixtures.sh).
const cases = [
  { file: 'stereo-44k1-s16.wav', rate: 44100, channels: 2, encoding: 's16le' },
  { file: 'mono-48k-s24.wav', rate: 48000, channels: 1, encoding: 's24le' },
  { file: 'mono-8k-f32.wav', rate: 8000, channels: 1, encoding: 'f32le' },
] as const;

for (const c of cases) {
  t.test(`${c.file} decodes to 16 kHz mono with the right duration`, async (t) => {
    const file = await openAudioFile(audio(c.file));
    t.equal(file.info.container, 'wav');
    t.same(file.info.format, { encoding: c.encoding, sampleRate: c.rate, channels: c.channels });
    t.ok(Math.abs(file.info.durationSec! - 0.3) < 1 / c.rate, `header duration ${file.info.durationSec}`);
    const x = await decodeAll(audio(c.file));
    const expected = 0.3 * 16000;
    // ±1 sample per second of audio.
    t.ok(Math.abs(x.length - expected) <= 1, `${x.length} samples, expected ${expected}`);
    // The left channel is a 440 Hz tone at 0.5 in every file.
    const mono = await decodeAll(audio(c.file), { channel: 0 });
    t.ok(Math.abs(toneHz(mono.subarray(400, 4400)) - 440) < 10, `tone ${toneHz(mono.subarray(400, 4400))} Hz`);
    t.ok(Math.abs(rms(mono, 400, 4400) - 0.5 / Math.SQRT2) < 0.01, `level ${rms(mono, 400, 4400)}`);
  });
}

t.test('stereo: mix averages the channels, a chosen channel is taken alone', async (t) => {
  // Right channel is a 1000 Hz tone in the fixture.
  const right = await decodeAll(audio('stereo-44k1-s16.wav'), { channel: 1 });
  t.ok(Math.abs(toneHz(right.subarray(400, 4400)) - 1000) < 15, `right channel ${toneHz(right.subarray(400, 4400))} Hz`);
  const left = await decodeAll(audio('stereo-44k1-s16.wav'), { channel: 0 });
  const mix = await decodeAll(audio('stereo-44k1-s16.wav'));
  let worst = 0;
  for (let i = 0; i < mix.length; i++) worst = Math.max(worst, Math.abs(mix[i]! - (left[i]! + right[i]!) / 2));
  t.ok(worst < 1e-4, `mix = (L+R)/2 within ${worst}`);
  await t.rejects(openAudioFile(audio('stereo-44k1-s16.wav'), { channel: 2 }), /channel 2 does not exist; the audio has 2 channel/);
});

t.test('every WAV encoding, plain and extensible, any channel count, decodes the same tone', async (t) => {
  const dir = tempDir();
  const encodings = ['u8', 's16le', 's24le', 's32le', 'f32le', 'f64le'] as const;
  for (const encoding of encodings) {
    for (const extensible of [false, true]) {
      const channels = extensible ? 6 : 1;
      const rate = 16000;
      const path = join(dir, `${encoding}-${extensible}.wav`);
      writeFileSync(path, makeWav({ encoding, sampleRate: rate, channels }, encodePcm(sine(rate, 500, 0.25, channels), encoding), { extensible, extraChunk: true }));
      const x = await decodeAll(path, { channel: 0 });
      t.equal(x.length, 4000, `${encoding} extensible=${extensible}: length`);
      const tol = encoding === 'u8' ? 0.01 : 1e-4;
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - 0.5 * Math.sin((2 * Math.PI * 500 * i) / rate)));
      t.ok(worst < tol, `${encoding} extensible=${extensible}: max error ${worst}`);
    }
  }
});

t.test('streamed WAV with unknown data size is read to the end of the file', async (t) => {
  const path = join(tempDir(), 'stream.wav');
  writeFileSync(path, makeWav({ encoding: 's16le', sampleRate: 16000, channels: 1 }, encodePcm(sine(16000, 300, 0.5), 's16le'), { unknownSize: true }));
  const file = await openAudioFile(path);
  t.equal(file.info.durationSec, 0.5);
  t.equal((await decodeAll(path)).length, 8000);
});

t.test('raw PCM with a declared format', async (t) => {
  const path = join(tempDir(), 'capture.raw');
  writeFileSync(path, encodePcm(sine(8000, 440, 1, 2), 's16le'));
  const x = await decodeAll(path, { raw: { encoding: 's16le', sampleRate: 8000, channels: 2 } });
  t.equal(x.length, 16000);
  t.ok(Math.abs(toneHz(x.subarray(800, 15200)) - 440) < 5);
});

t.test('a WAV in a codec (µ-law, A-law, as telephone recorders write) is decoded through ffmpeg; a damaged one names its codec', async (t) => {
  const dir = tempDir();
  const pcm = audio('speech-silence-speech.wav');
  const original = await decodeAll(pcm);
  for (const encoding of ['u-law', 'a-law']) {
    const coded = join(dir, `${encoding}.wav`);
    execFileSync('sox', [pcm, '-e', encoding, coded]);
    t.equal(readFileSync(coded).readUInt16LE(20), encoding === 'u-law' ? 7 : 6, `${encoding}: sox wrote its format tag`);
    const file = await openAudioFile(coded);
    t.equal(file.info.container, 'ffmpeg');
    const decoded = await decodeAll(coded);
    t.ok(Math.abs(decoded.length - original.length) <= 160, `${encoding}: as long as the original (${decoded.length} vs ${original.length} samples)`);
    // 8-bit companding keeps speech within a few percent of its level.
    t.ok(Math.abs(rms(decoded) / rms(original) - 1) < 0.05, `${encoding}: the same speech (rms ${rms(decoded).toFixed(4)} vs ${rms(original).toFixed(4)})`);
  }
  const damaged = join(dir, 'mp3-in-wav.wav');
  const wav = makeWav({ encoding: 's16le', sampleRate: 16000, channels: 1 }, encodePcm(sine(16000, 440, 1), 's16le'));
  wav.writeUInt16LE(0x55, 20); // MPEG layer 3, but the data is PCM
  writeFileSync(damaged, wav);
  await t.rejects(decodeAll(damaged), /mp3-in-wav\.wav: a WAV in format tag 0x55, read through ffmpeg: ffmpeg could not decode/);
});

t.test('bad input fails with what, where and how to fix', async (t) => {
  const dir = tempDir();
  const truncated = join(dir, 'truncated.wav');
  writeFileSync(truncated, makeWav({ encoding: 's16le', sampleRate: 16000, channels: 1 }, Buffer.alloc(0)).subarray(0, 30));
  await t.rejects(openAudioFile(truncated), new RegExp(`${truncated}: no "data" chunk found`));
  const adpcm = join(dir, 'adpcm.wav');
  const wav = makeWav({ encoding: 's16le', sampleRate: 16000, channels: 1 }, Buffer.alloc(64));
  wav.writeUInt16LE(0x11, 20); // IMA ADPCM format tag
  writeFileSync(adpcm, wav);
  // A codec is ffmpeg's to decode: without it, what to do.
  await t.rejects(openAudioFile(adpcm, { ffmpeg: 'earshot-no-such-ffmpeg' }), /adpcm\.wav: 16-bit format tag 0x11 is not supported.*convert it with ffmpeg or sox/);
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'this is not audio at all');
  await t.rejects(openAudioFile(text, { ffmpeg: 'earshot-no-such-ffmpeg' }), /notes\.txt: not a WAV file, and ffmpeg is not installed.*apt-get install ffmpeg/);
  await t.rejects(openAudioFile(join(dir, 'missing.wav')), /missing\.wav: cannot open: no such file/);
  await t.rejects(openAudioFile(dir), /cannot open: not a regular file/);
  const empty = join(dir, 'empty.wav');
  writeFileSync(empty, '');
  await t.rejects(openAudioFile(empty), /empty\.wav: the file is empty/);
  const slow = join(dir, 'one-hertz.wav');
  writeFileSync(slow, makeWav({ encoding: 's16le', sampleRate: 1, channels: 1 }, Buffer.alloc(64)));
  await t.rejects(openAudioFile(slow), /one-hertz\.wav: header says sample rate 1 Hz, outside 1000.768000 Hz/);
  const nan = join(dir, 'nan.wav');
  writeFileSync(nan, makeWav({ encoding: 'f32le', sampleRate: 16000, channels: 1 }, encodePcm([0.1, Number.NaN, 0.2], 'f32le')));
  await t.rejects(decodeAll(nan), /nan\.wav: a float sample is NaN; the audio data is corrupt/, 'a decode error names the file');
});
