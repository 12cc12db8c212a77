import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAll, openAudioFile, recordingStartMs } from '../../daemon/audio/decode-file.js';
import { findFfmpeg } from '../../daemon/audio/ffmpeg.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';

// Needs ffmpeg and sox installed (CI installs both; ffmpeg is optional for users).
const wav = join(fixturesDir, 'audio', 'speech-silence-speech.wav');

t.test('other containers decode through ffmpeg to the same 16 kHz audio', async (t) => {
  t.ok(findFfmpeg(), 'ffmpeg is installed (apt-get install ffmpeg)');
  const dir = tempDir();
  const flac = join(dir, 'meeting.flac');
  // A FLAC at another rate and in stereo, written by sox: ffmpeg has to decode, downmix and resample.
  const made = spawnSync('sox', [wav, '-r', '22050', '-c', '2', flac]);
  t.equal(made.status, 0, `sox writes FLAC (${made.stderr?.toString() ?? 'sox missing: apt-get install sox'})`);
  const file = await openAudioFile(flac);
  t.equal(file.info.container, 'ffmpeg');
  const viaFfmpeg = await decodeAll(flac);
  const direct = await decodeAll(wav);
  t.ok(file.info.durationSec !== null && Math.abs(file.info.durationSec - direct.length / 16000) < 0.01, `ffprobe tells the length before decoding: ${file.info.durationSec} s`);
  t.ok(Math.abs(viaFfmpeg.length - direct.length) <= 16, `${viaFfmpeg.length} vs ${direct.length} samples`);
  // Same speech: the signals correlate almost perfectly (two resamplers differ only slightly).
  let dot = 0;
  let a2 = 0;
  let b2 = 0;
  for (let i = 0; i < Math.min(viaFfmpeg.length, direct.length); i++) {
    dot += viaFfmpeg[i]! * direct[i]!;
    a2 += viaFfmpeg[i]! ** 2;
    b2 += direct[i]! ** 2;
  }
  t.ok(dot / Math.sqrt(a2 * b2) > 0.99, `correlation ${dot / Math.sqrt(a2 * b2)}`);
});

t.test('a file ffmpeg cannot read fails with ffmpeg\'s reason and the file name', async (t) => {
  const bad = join(tempDir(), 'broken.mp3');
  writeFileSync(bad, Buffer.from('ID3 this is not really an mp3 file at all'.repeat(20)));
  await t.rejects(decodeAll(bad), /broken\.mp3.*ffmpeg could not decode|ffmpeg could not decode .*broken\.mp3/);
});

t.test('stopping early ends the ffmpeg child', async (t) => {
  const flac = join(tempDir(), 'long.flac');
  t.equal(spawnSync('sox', ['-n', '-r', '16000', flac, 'synth', '60', 'sine', '440']).status, 0);
  const file = await openAudioFile(flac);
  // ffmpeg reads the opened file as /dev/fd/3, so it is found as this process's child.
  const running = () => spawnSync('pgrep', ['-P', String(process.pid), '-f', 'ffmpeg .*-i file:/dev/fd/3']).status === 0;
  for await (const chunk of file.samples()) {
    t.ok(chunk.length > 0);
    t.ok(running(), 'ffmpeg is running while samples are read');
    break; // the generator's finally kills ffmpeg
  }
  // SIGKILL is delivered at once, but the process table may lag a moment.
  const end = Date.now() + 3000;
  while (running() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  t.notOk(running(), 'no ffmpeg left running');
});

t.test('ffmpeg reads the file that was opened, and seeks in it (an MP4 with its index at the end)', async (t) => {
  const dir = tempDir();
  const long = join(dir, 'long.wav');
  // Long enough (about 1 MB of AAC) that the index is beyond what ffmpeg reads ahead: read as
  // a stream (pipe:3) this file fails with "partial file"; it must be read as a file.
  t.equal(spawnSync('sox', [...Array<string>(20).fill(wav), long]).status, 0);
  const m4a = join(dir, 'voice memo.m4a');
  // No +faststart: the moov atom is written last, so the demuxer must seek to find it.
  const made = spawnSync('ffmpeg', ['-v', 'error', '-i', long, '-c:a', 'aac', '-b:a', '64k', m4a]);
  t.equal(made.status, 0, `ffmpeg writes the M4A: ${made.stderr?.toString() ?? ''}`);
  const head = readFileSync(m4a).subarray(0, 64).toString('latin1');
  t.notMatch(head, /moov/, 'the index is not at the start');
  const decoded = await decodeAll(m4a);
  const direct = await decodeAll(long);
  t.ok(Math.abs(decoded.length - direct.length) < 4096, `${decoded.length} vs ${direct.length} samples`);
});

t.test('with noFollow, a link swapped in after the file was opened is refused when decoding starts', async (t) => {
  const dir = tempDir();
  const other = join(dir, 'elsewhere.flac');
  t.equal(spawnSync('sox', [wav, other]).status, 0);
  for (const name of ['swapped.flac', 'swapped.wav']) {
    const path = join(dir, name);
    t.equal(spawnSync('sox', [wav, path]).status, 0);
    const file = await openAudioFile(path, { noFollow: true });
    rmSync(path);
    symlinkSync(other, path);
    const read = async () => {
      for await (const chunk of file.samples()) void chunk;
    };
    await t.rejects(read(), new RegExp(`${name}: cannot open: it is a symbolic link`), `${name}: the link is not followed`);
    await t.resolves(decodeAll(path), `${name}: without noFollow (a local caller's path) the link is followed`);
  }
  await t.rejects(openAudioFile(join(dir, 'swapped.wav'), { noFollow: true }), /swapped\.wav: cannot open: it is a symbolic link; files in a spool folder must be regular files/);
});

t.test('a playlist posing as a recording does not make ffmpeg read the files it names', async (t) => {
  const dir = tempDir();
  const secret = join(dir, 'private', 'secret.aac');
  mkdirSync(join(dir, 'private'));
  t.equal(spawnSync('ffmpeg', ['-v', 'error', '-i', wav, '-c:a', 'aac', secret]).status, 0);
  t.ok((await decodeAll(secret)).length > 16000, 'the file it names is audio ffmpeg reads');
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  const concat = join(spool, 'list.txt');
  writeFileSync(concat, `ffconcat version 1.0\nfile '${secret}'\n`);
  const hls = join(spool, 'rec.wav');
  writeFileSync(hls, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n${secret}\n#EXT-X-ENDLIST\n`);
  for (const path of [hls, concat]) {
    await t.rejects(decodeAll(path, { within: [spool] }), /not a recording format earshot decodes/, `${path}: refused, the file it names unread`);
  }
});

t.test('a RIFF file that is not WAVE (an AVI from a camera) goes to ffmpeg, not the WAV reader', async (t) => {
  const avi = join(tempDir(), 'bodycam.avi');
  t.equal(spawnSync('ffmpeg', ['-v', 'error', '-i', wav, '-c:a', 'pcm_s16le', avi]).status, 0);
  t.equal(readFileSync(avi).toString('latin1', 0, 4), 'RIFF', 'it starts like a WAV');
  const file = await openAudioFile(avi);
  t.equal(file.info.container, 'ffmpeg');
  const decoded = await decodeAll(avi);
  const direct = await decodeAll(wav);
  t.ok(Math.abs(decoded.length - direct.length) <= 16, `${decoded.length} vs ${direct.length} samples`);
});

t.test('a recording ffmpeg decodes is dated from its last write back by its length, as a WAV is', async (t) => {
  const dir = tempDir();
  const ogg = join(dir, 'call.ogg');
  t.equal(spawnSync('sox', [wav, ogg]).status, 0, 'sox writes Ogg Vorbis');
  const endedAt = new Date('2026-03-01T10:00:00Z');
  utimesSync(ogg, endedAt, endedAt);
  const file = await openAudioFile(ogg);
  const seconds = (await decodeAll(wav)).length / 16000;
  t.ok(Math.abs(recordingStartMs(file.info) - (endedAt.getTime() - seconds * 1000)) < 50, `began ${seconds} s before its last write: ${new Date(recordingStartMs(file.info)).toISOString()}`);

  // Without ffprobe (a bare ffmpeg binary somewhere), the length is unknown and the date is the last write.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(findFfmpeg()!.startsWith('/') ? findFfmpeg()! : '/usr/bin/ffmpeg', join(bin, 'ffmpeg'));
  const bare = await openAudioFile(ogg, { ffmpeg: join(bin, 'ffmpeg') });
  t.equal(bare.info.durationSec, null);
  t.equal(recordingStartMs(bare.info), endedAt.getTime());
});
