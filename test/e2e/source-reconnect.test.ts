import t from 'tap';
import { connect, type Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, runCli, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { TranscriptTally } from '../helpers/faults.js';
import { pcmOf } from '../helpers/malformed-audio.js';
import { freePort } from '../../scripts/free-port.js';

/**
 * Issue #9: a source device that disappears and comes back. A live socket sender vanishes
 * mid-speech and a new one connects; a capture command (a USB microphone's `arecord`)
 * fails while the device is absent and streams once it is back. The daemon keeps its pid,
 * restarts the command with backoff (no spinning), and transcribes what comes after.
 */
const speech = pcmOf(readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav')));
const quiet = (sec: number) => Buffer.alloc(Math.round(16000 * sec) * 2);

function sender(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

t.test('a live sender that vanishes mid-speech and a capture command whose device is unplugged then plugged back', async (t) => {
  const root = tempDir('earshot-e2e-reconnect-');
  const port = await freePort();
  const plugged = join(root, 'device-present');
  const pcmFile = join(root, 'usb-mic.raw');
  writeFileSync(pcmFile, Buffer.concat([speech, quiet(2)]));
  const format = { encoding: 's16le', sampleRate: 16000, channels: 1 };
  // The command fails from the daemon's start on, so its restarts are bounded by the time since then.
  const t0 = Date.now();
  const daemon = await startDaemon({
    siteId: 'reconnect',
    dataDir: join(root, 'data'),
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
    sources: [
      { id: 'mic', type: 'socket', path: join(root, 'mic.sock'), format },
      // Streams the recording once when the "device" is present, and fails like arecord when it is not.
      // Its backoff is below the floors, as configs from before them were: it runs at 250 / 1000.
      { id: 'usb-mic', type: 'command', command: ['sh', '-c', `test -e ${plugged} || exit 1; rm ${plugged}; cat ${pcmFile}; exit 1`], format, backoff: { initialMs: 100, maxMs: 400, resetAfterMs: 30000 } },
    ],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const pid = daemon.child.pid;
  const tally = new TranscriptTally(`mqtt://127.0.0.1:${port}`, 'earshot/reconnect/transcript/#', 'reconnect-tally');
  await tally.start();
  t.teardown(() => tally.stop());
  const from = (source: string) => [...tally.payloads.values()].filter((p) => p.sourceId === source);

  // The socket sender: one full recording, then half a stretch of speech and gone.
  const first = await sender(join(root, 'mic.sock'));
  first.write(Buffer.concat([speech, quiet(1.5)]));
  await waitFor(() => from('mic').length >= 2, 30_000, 'transcripts from the first sender');
  first.write(speech.subarray(0, Math.floor(speech.length * 0.3) & ~1));
  await new Promise((r) => setTimeout(r, 200));
  first.destroy();
  await waitFor(() => daemon.output().includes('source socket: sender disconnected'), 10_000, 'the daemon to see the sender gone');
  // Its speech is over when it hangs up: transcribed now, not once another sender comes.
  await waitFor(() => from('mic').length >= 3, 30_000, 'the cut-off speech transcribed before any other sender connects');
  const second = await sender(join(root, 'mic.sock'));
  second.write(Buffer.concat([speech, quiet(2)]));
  // Two stretches from the first sender, the one cut off when it vanished (flushed, not
  // dropped), and two from the sender that came back.
  await waitFor(() => from('mic').length >= 5, 30_000, 'transcripts from the sender that came back');
  second.end();
  // On the source's timeline the cut-off speech starts where the first recording (and its
  // 1.5 s of quiet) ended, and lasts at most the 30 % that was sent.
  const speechSec = speech.length / 2 / 16000;
  const cut = from('mic').find((p) => p.startOffsetSec >= speechSec + 1.5 - 0.1 && p.endOffsetSec <= speechSec + 1.5 + 0.3 * speechSec + 0.3);
  t.ok(cut, 'the speech cut off by the vanished sender was transcribed');

  // The capture command: absent for a while (it fails and is restarted with backoff) …
  await new Promise((r) => setTimeout(r, 1500));
  // Counted by starts: the restart warnings of a command failing the same way are summarized.
  const restartsWhileAbsent = (daemon.output().match(/source command started/g) ?? []).length - 1;
  t.ok(restartsWhileAbsent >= 2, `the command was retried while the device was absent (${restartsWhileAbsent} restarts)`);
  // At the 1000 ms backoff ceiling the count grows by about one a second for as long as the
  // daemon has run (250 + 500 ms before that), however slowly the steps above went; a tight
  // loop restarts hundreds of times in that time.
  const elapsedSec = (Date.now() - t0) / 1000;
  t.ok(restartsWhileAbsent <= 3 + elapsedSec, `with backoff, not in a tight loop (${restartsWhileAbsent} restarts in ${elapsedSec.toFixed(1)} s)`);
  t.same(from('usb-mic'), [], 'nothing came from the absent device');
  // Restarted for ever, the source is up, but the operator is told it gives nothing, and why.
  const absent = await runCli(['status', '--check', '--json', '--socket', daemon.socket]);
  t.equal(absent.code, 6, 'status --check fails while the device is absent');
  t.match((JSON.parse(absent.stdout) as { problems: string[] }).problems.join('\n'), /source usb-mic: no audio from \d+ runs in a row: sh exited with code 1; /);
  // … then plugged back in.
  writeFileSync(plugged, '');
  await waitFor(() => from('usb-mic').length >= 2, 30_000, 'transcripts from the device once it is back');

  const status = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(status.code, 0, status.stderr);
  const st = JSON.parse(status.stdout) as { pid: number; components: Array<{ name: string; state: string }> };
  t.equal(st.pid, pid, 'the same daemon process throughout');
  t.not(st.components.find((c) => c.name === 'sources')?.state, 'stopped', 'sources still up');
  t.equal(tally.duplicates, 0, 'no transcript delivered twice');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});

t.test('a live sender that stalls mid-speech, its connection open: the speech is cut after 5 s without audio and transcribed', async (t) => {
  const root = tempDir('earshot-e2e-stall-');
  const port = await freePort();
  const daemon = await startDaemon({
    siteId: 'stall',
    dataDir: join(root, 'data'),
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
    sources: [{ id: 'mic', type: 'socket', path: join(root, 'mic.sock'), format: { encoding: 's16le', sampleRate: 16000, channels: 1 } }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const tally = new TranscriptTally(`mqtt://127.0.0.1:${port}`, 'earshot/stall/transcript/#', 'stall-tally');
  await tally.start();
  t.teardown(() => tally.stop());
  const stalled = await sender(join(root, 'mic.sock'));
  t.teardown(() => stalled.destroy());
  // A stretch of quiet, then 30 % of the recording (into its first stretch of speech), then nothing.
  stalled.write(Buffer.concat([quiet(1), speech.subarray(0, Math.floor(speech.length * 0.3) & ~1)]));
  const sentAt = Date.now();
  await waitFor(() => tally.payloads.size >= 1, 30_000, 'the stalled speech transcribed');
  t.ok(Date.now() - sentAt >= 4000, 'not before the stall was 5 s old (less the time the daemon took to read the bytes)');
  t.match(daemon.output(), /no audio for 5 s with speech open: ending it/);
  t.equal(stalled.destroyed, false, 'with the sender still connected');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
