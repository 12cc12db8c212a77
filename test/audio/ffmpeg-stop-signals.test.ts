import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAll, openAudioFile } from '../../daemon/audio/decode-file.js';
import { stopSignal } from '../../daemon/audio/decoder-stopped.js';
import { isTransient } from '../../daemon/shortage/transient-errors.js';
import { ffmpegChild } from '../helpers/ffmpeg-child.js';
import { tempDir } from '../helpers/paths.js';

/**
 * systemd's default KillMode, or a terminal's Ctrl-C, signals ffmpeg as well as the daemon:
 * ffmpeg then ends early, and the job must not be failed for good as an undecodable file. A
 * stop signal makes a transient error; SIGKILL, a crash or a bad file still fail.
 * Real ffmpeg processes, signalled while they decode (needs ffmpeg and sox, as CI has).
 */

let flac: string;
t.before(() => {
  flac = join(tempDir(), 'long.flac');
  // A minute of audio: far more than the pipes hold, so ffmpeg is still running when signalled.
  t.equal(spawnSync('sox', ['-n', '-r', '16000', flac, 'synth', '60', 'sine', '440']).status, 0, 'sox writes FLAC');
});

/** Decodes the FLAC, sends `signal` to ffmpeg once samples come, reads on; what it threw. */
async function decodeSignalled(signal: NodeJS.Signals): Promise<unknown> {
  const file = await openAudioFile(flac);
  let sent = false;
  try {
    for await (const chunk of file.samples()) {
      void chunk;
      if (sent) continue;
      const pid = ffmpegChild();
      if (pid === undefined) throw new Error('no ffmpeg child found while decoding');
      process.kill(pid, signal);
      sent = true;
    }
  } catch (err) {
    return err;
  }
  return new Error('the decode ended without an error');
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  t.test(`ffmpeg stopped by ${signal} is a transient error, not the file's fault`, async (t) => {
    const err = await decodeSignalled(signal);
    t.match(err, { name: 'DecoderStopped', message: /ffmpeg was stopped by .*long\.flac; the file is not at fault/ });
    t.ok(isTransient(err), 'transient: the scheduler postpones the job without counting the try');
  });
}

for (const signal of ['SIGKILL', 'SIGSEGV'] as const) {
  t.test(`ffmpeg killed by ${signal} still fails the decode`, async (t) => {
    const err = await decodeSignalled(signal);
    t.match(err, { message: new RegExp(`ffmpeg could not decode .*long\\.flac \\(killed by ${signal}\\)`) });
    t.notOk(isTransient(err), 'not transient: a file that brings the decoder down every time is not retried forever');
  });
}

t.test('a file ffmpeg cannot read is not transient', async (t) => {
  const bad = join(tempDir(), 'broken.mp3');
  writeFileSync(bad, Buffer.from('ID3 this is not really an mp3 file at all'.repeat(20)));
  const err = await decodeAll(bad).catch((e: unknown) => e);
  t.match(err, { message: /ffmpeg could not decode .*broken\.mp3 \(exit \d+\)/ });
  t.notOk(isTransient(err));
});

t.test('which ffmpeg exits count as stopped by a signal', async (t) => {
  t.equal(stopSignal(null, 'SIGTERM', ''), 'SIGTERM', 'killed before its handler was installed');
  t.equal(stopSignal(255, null, ''), 'a signal (exit 255)', 'handled: exit 255 and nothing at -v error');
  t.equal(stopSignal(255, null, 'Exiting normally, received signal 2.\n'), 'SIGINT', 'its own line, where a higher log level shows it');
  t.equal(stopSignal(255, null, 'Exiting normally, received signal 24.\n'), undefined, 'SIGXCPU: a CPU limit, which a retry meets again');
  t.equal(stopSignal(255, null, 'file:/dev/fd/3: Operation not permitted\n'), undefined, 'exit 255 with an error of its own (AVERROR(EPERM) in ffmpeg 6.1+)');
  t.equal(stopSignal(1, null, ''), undefined);
  t.equal(stopSignal(null, 'SIGKILL', ''), undefined);
});
