import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { startSpoolDaemon } from '../helpers/spool-daemon.js';
import { dropRecording } from '../helpers/faults.js';
import { segmentJobId } from '../../daemon/pipeline/capture-service.js';

/**
 * Two different recordings of the same length with the same mtime (copied with their times
 * kept, or from a share with coarse timestamps). A segment's job id once came from the
 * source, start time and offsets only, so the second file's speech was taken for the
 * first's, found done, and dropped without a word. The samples are now part of the id: a
 * copy of the same recording is still the same speech (test/e2e/clock-jump.test.ts).
 * Found by the descriptor-exhaustion test.
 */
t.test('segment job ids differ by audio and stay the same for the same audio', async (t) => {
  const segment = { sourceId: 'spool', startedAt: '2026-11-25T12:00:00.000Z', startSec: 0.5, endSec: 2.25, sampleRate: 16000 as const };
  const tone = (f: number) => Float32Array.from({ length: 28_000 }, (_, i) => Math.sin((2 * Math.PI * f * i) / 16000));
  const id = (samples: Float32Array, recording?: string) => segmentJobId({ ...segment, samples, ...(recording ? { recording } : {}) });
  t.equal(id(tone(440), 'a.wav'), id(tone(440), 'a-copy.wav'), 'the same audio is the same job, whatever the file is called');
  t.not(id(tone(440)), id(tone(441)), 'different audio at the same time and offsets is another job');
  t.equal(id(tone(440).subarray(0, 100)), id(Float32Array.from(tone(440).subarray(0, 100))), 'a view hashes its own samples only');
});

t.test('two recordings with the same length and mtime both give their transcripts', async (t) => {
  const { spool, transcripts } = await startSpoolDaemon(t, tempDir('earshot-same-mtime-'), 'twins');

  // The same length and mtime; b.wav is the recording at another gain (different audio).
  const clip = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const mtime = Math.floor(Date.now() / 1000) - 60;
  dropRecording(spool, 'a.wav', clip, mtime);
  dropRecording(spool, 'b.wav', atGain(clip, 0.7), mtime);
  const of = (name: string) => transcripts.filter((tr) => tr.recording === name).length;
  await waitFor(() => of('a.wav') >= 2 && of('b.wav') >= 2, 30_000, `two transcripts of each recording (a ${of('a.wav')}, b ${of('b.wav')})`);
  t.equal(of('a.wav'), 2, 'a.wav: both stretches of speech');
  t.equal(of('b.wav'), 2, 'b.wav: both stretches of speech');
  t.equal(new Set(transcripts.map((tr) => tr.id)).size, 4, 'four different transcripts');
});

/** The WAV with every 16-bit sample scaled (same length, same speech, different samples). */
function atGain(wav: Buffer, gain: number): Buffer {
  const out = Buffer.from(wav);
  const data = out.indexOf('data', 12, 'latin1');
  const end = Math.min(out.length, data + 8 + out.readUInt32LE(data + 4));
  for (let i = data + 8; i + 1 < end; i += 2) out.writeInt16LE(Math.round(out.readInt16LE(i) * gain), i);
  return out;
}
