import t from 'tap';
import { CommandSource } from '../../../daemon/audio/sources/command-source.js';
import { SocketSource } from '../../../daemon/audio/sources/socket-source.js';
import { SourceSet } from '../../../daemon/audio/sources/source-set.js';
import type { AudioFrames } from '../../../daemon/audio/types.js';
import { LogSink } from '../../../daemon/log/logger.js';
import { existsSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../helpers/paths.js';

const s16 = { encoding: 's16le' as const, sampleRate: 16000, channels: 1 };
const backoff = { initialMs: 100, maxMs: 400, resetAfterMs: 60_000 };

function logs() {
  const lines: string[] = [];
  const sink = new LogSink({ level: 'info', format: 'json', write: (l) => lines.push(l) });
  return { lines, logger: sink.logger('sources'), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const until = async (what: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

t.test('a command that exits is restarted with growing backoff and logged; the others keep running', async (t) => {
  const { logger, records } = logs();
  const dying: AudioFrames[] = [];
  const steady: AudioFrames[] = [];
  // 0.1 s of audio, then exit 3.
  const flaky = new CommandSource({ id: 'flaky', command: ['sh', '-c', 'head -c 3200 /dev/zero; echo "mic unplugged" >&2; exit 3'], format: s16, backoff, logger, onFrames: (f) => void dying.push(f) });
  const good = new CommandSource({ id: 'good', command: ['sh', '-c', 'while :; do head -c 3200 /dev/zero; sleep 0.05; done'], format: s16, backoff, logger, onFrames: (f) => void steady.push(f) });
  const broken = new CommandSource({ id: 'broken', command: ['/nonexistent/arecord'], format: s16, backoff, logger, onFrames: () => undefined });
  const set = new SourceSet([flaky, good, broken], logger);
  await set.start();
  t.teardown(() => set.stop());
  await until(() => flaky.starts >= 4 && broken.starts >= 3);
  const before = steady.length;
  await until(() => steady.length > before + 3);
  t.ok(true, 'the steady source kept delivering while the others were failing');

  const exits = records().filter((r) => r.msg === 'source command exited; restarting after backoff');
  const flakyExits = exits.filter((r) => r.source === 'flaky');
  t.same(flakyExits.slice(0, 3).map((r) => r.restartInMs), [100, 200, 400], 'backoff doubles up to the ceiling');
  t.equal(flakyExits[0]!.code, 3);
  t.match(String(flakyExits[0]!.stderr), /mic unplugged/, 'the command\'s own error is in the log');
  const brokenExit = exits.find((r) => r.source === 'broken')!;
  t.match(String(brokenExit.error), /ENOENT/, 'a command that cannot start is retried too');

  // The timeline keeps counting across restarts; each run starts with a discontinuity.
  t.equal(dying[0]!.startSample, 0);
  t.equal(dying[0]!.discontinuity, true);
  const restarts = dying.filter((f) => f.discontinuity);
  t.ok(restarts.length >= 3);
  t.equal(restarts[1]!.startSample, 1600, 'the second run continues after the first run\'s 1600 samples');
  t.same(set.status().map((s) => s.state), ['running', 'running', 'running']);

  await set.stop();
  const count = flaky.starts;
  await new Promise((r) => setTimeout(r, 500));
  t.equal(flaky.starts, count, 'no restart after stop()');
  t.same(set.status().map((s) => s.state), ['stopped', 'stopped', 'stopped']);
});

t.test('a command failing the same way over and over is not logged once per restart', async (t) => {
  const { logger, records } = logs();
  // Backoff far below the config's floors, to get many restarts quickly.
  const fast = { initialMs: 20, maxMs: 20, resetAfterMs: 60_000 };
  const source = new CommandSource({ id: 'dead-cam', command: ['sh', '-c', 'echo "Connection refused after 12 ms" >&2; exit 1'], format: s16, backoff: fast, logger, onFrames: () => undefined });
  await source.start();
  await until(() => source.starts >= 15);
  await source.stop();
  const exits = records().filter((r) => r.msg === 'source command exited; restarting after backoff');
  t.equal(exits.length, 3, `${source.starts} restarts, ${exits.length} warnings`);
  const starts = records().filter((r) => r.msg === 'source command started');
  t.equal(starts.length, 4, `the first start and those after a logged exit (${starts.length} lines for ${source.starts} starts)`);
  const stopped = records().find((r) => r.msg === 'source command stopped')!;
  t.ok(Number(stopped.unloggedRestarts) >= 10, `the stop line counts the restarts not logged (${String(stopped.unloggedRestarts)})`);
});

t.test('credentials in a URL the command prints are masked in the log', async (t) => {
  const { lines, logger, records } = logs();
  // What ffmpeg writes when the camera refuses it, after a screenful of other output.
  const script = 'head -c 3000 /dev/zero | tr "\\0" x >&2; echo >&2; echo "rtsp://admin:hunter2@10.0.0.5:554/stream: Connection refused" >&2; exit 1';
  const camera = new CommandSource({ id: 'cam', command: ['sh', '-c', script], format: s16, backoff, logger, onFrames: () => undefined });
  const missing = new CommandSource({ id: 'cam2', command: ['/nonexistent/rtsp://admin:hunter2@cam'], format: s16, backoff, logger, onFrames: () => undefined });
  await Promise.all([camera.start(), missing.start()]);
  t.teardown(() => Promise.all([camera.stop(), missing.stop()]));
  await until(() => records().filter((r) => r.msg === 'source command exited; restarting after backoff').length >= 2);
  const exits = records().filter((r) => r.msg === 'source command exited; restarting after backoff');
  t.match(String(exits.find((r) => r.source === 'cam')!.stderr), /rtsp:\/\/\*\*\*@10\.0\.0\.5:554\/stream: Connection refused$/, 'the error is still there, with the host');
  t.match(String(exits.find((r) => r.source === 'cam2')!.error), /ENOENT/);
  t.notOk(lines.some((l) => l.includes('hunter2')), 'the password is in no log line');
});

t.test('a command that exits while a process it left behind holds stdout is still restarted', async (t) => {
  const { logger, records } = logs();
  const exits = () => records().filter((r) => r.msg === 'source command exited; restarting after backoff');
  const lingering = new CommandSource({ id: 'lingering', command: ['sh', '-c', 'sleep 30 & exit 1'], format: s16, backoff, logger, onFrames: () => undefined });
  // One that left the process group as well (given half a second to get there before the
  // shell exits), so killing the group does not end it and the pipes must be let go.
  const escaped = new CommandSource({ id: 'escaped', command: ['sh', '-c', 'setsid sleep 8 & sleep 0.5; exit 2'], format: s16, backoff, logger, onFrames: () => undefined });
  await Promise.all([lingering.start(), escaped.start()]);
  t.teardown(() => Promise.all([lingering.stop(), escaped.stop()]));
  // Far below the 30 s (or 8 s) the background sleep would hold the pipe.
  await until(() => lingering.starts >= 2 && escaped.starts >= 2, 7000);
  t.equal(exits().find((r) => r.source === 'lingering')!.code, 1, 'the exit is logged with the command\'s own code');
  t.equal(exits().find((r) => r.source === 'escaped')!.code, 2);
  t.notOk(records().some((r) => r.msg === 'source stream failed; restarting the command'), 'letting the pipes go is not reported as a failure');
});

t.test('what a command wrote before it exited is all read, however long the consumer takes', async (t) => {
  const { logger, records } = logs();
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [go, exiting] = [join(dir, 'go'), join(dir, 'exiting')];
  // 0.1 s of audio; once the test has it, 2 s more (it fits in the pipe) and exit while the
  // consumer is held up for longer than a grandchild holding the pipe is waited for.
  const script = `head -c 3200 /dev/zero; while [ ! -e '${go}' ]; do sleep 0.02; done; head -c 64000 /dev/zero; : > '${exiting}'; exit 0`;
  const frames: AudioFrames[] = [];
  const onFrames = async (f: AudioFrames) => {
    frames.push(f);
    if (frames.length > 1) return;
    await writeFile(go, '');
    await until(() => existsSync(exiting), 20_000);
    await new Promise((r) => setTimeout(r, 4000)); // e.g. the live backlog is full
  };
  const noRestart = { initialMs: 60_000, maxMs: 60_000, resetAfterMs: 60_000 };
  const source = new CommandSource({ id: 'tail', command: ['sh', '-c', script], format: s16, backoff: noRestart, logger, onFrames });
  await source.start();
  t.teardown(() => source.stop());
  await until(() => records().some((r) => r.msg === 'source command exited; restarting after backoff'), 30_000);
  t.equal(frames.reduce((n, f) => n + f.samples.length, 0), 1600 + 32000, 'every sample written arrived');
  t.equal(frames.filter((f) => f.discontinuity).length, 1, 'in one run');
  t.notOk(records().some((r) => r.level === 'warn' && r.msg !== 'source command exited; restarting after backoff'), 'and nothing was reported cut');
});

t.test('a command that runs but sends no audio is restarted, with a warning naming it', async (t) => {
  const { logger, records } = logs();
  const silent = new CommandSource({ id: 'silent-cam', command: ['sleep', '30'], format: s16, backoff, noDataTimeoutMs: 300, logger, onFrames: () => undefined });
  await silent.start();
  t.teardown(() => silent.stop());
  await until(() => silent.starts >= 2);
  const warning = records().find((r) => r.msg === 'source command sent no audio; restarting it')!;
  t.equal(warning.source, 'silent-cam');
  t.equal(warning.level, 'warn');
  t.ok(Number(warning.silentForMs) >= 300);
  t.ok(records().some((r) => r.msg === 'source command exited; restarting after backoff' && r.signal === 'SIGTERM'), 'through the usual restart path');
});

t.test('the no-data check leaves alone a command that sends audio, and one held back by a slow consumer', async (t) => {
  const { logger, records } = logs();
  const steady = new CommandSource({ id: 'steady', command: ['sh', '-c', 'while :; do head -c 3200 /dev/zero; sleep 0.05; done'], format: s16, backoff, noDataTimeoutMs: 1000, logger, onFrames: () => undefined });
  let handled = 0;
  // Each batch takes 3x the limit to handle; the command blocks on its full pipe meanwhile.
  const slowConsumer = async () => {
    if (handled >= 3) return; // seen enough: let stop() drain the pipe quickly
    await new Promise((r) => setTimeout(r, 600));
    handled++;
  };
  const heldBack = new CommandSource({ id: 'held-back', command: ['cat', '/dev/zero'], format: s16, backoff, noDataTimeoutMs: 200, logger, onFrames: slowConsumer });
  await Promise.all([steady.start(), heldBack.start()]);
  t.teardown(() => Promise.all([steady.stop(), heldBack.stop()]));
  await until(() => handled >= 3);
  t.equal(steady.starts, 1);
  t.equal(heldBack.starts, 1);
  t.notOk(records().some((r) => r.msg === 'source command sent no audio; restarting it'));
});

t.test('a source that cannot start is marked failed and the rest start', async (t) => {
  const { logger, records } = logs();
  const frames: AudioFrames[] = [];
  const bad = new SocketSource({ id: 'bad-socket', listen: { path: '/nonexistent-dir/earshot.sock' }, format: s16, logger, onFrames: () => undefined });
  const good = new CommandSource({ id: 'ok', command: ['sh', '-c', 'head -c 6400 /dev/zero; sleep 5'], format: s16, logger, onFrames: (f) => void frames.push(f) });
  const set = new SourceSet([bad, good], logger);
  await set.start();
  t.teardown(() => set.stop());
  await until(() => frames.reduce((n, f) => n + f.samples.length, 0) >= 3200);
  const status = set.status();
  t.equal(status[0]!.state, 'failed');
  t.match(status[0]!.error, /ENOENT|EACCES/);
  t.equal(status[1]!.state, 'running');
  t.ok(records().some((r) => r.msg === 'source failed to start; the other sources keep running' && r.source === 'bad-socket'));
  t.throws(() => new SourceSet([good, good], logger), /id "ok" is used twice/);
});

t.test('ids that could escape a folder or a topic are refused', async (t) => {
  const { logger } = logs();
  for (const id of ['../etc', 'a/b', 'mic\0', '', '..', 'a..b', '+', '#', 'x'.repeat(65)]) {
    t.throws(() => new CommandSource({ id, command: ['true'], format: s16, logger, onFrames: () => undefined }), /is not allowed/, JSON.stringify(id));
  }
  t.doesNotThrow(() => new CommandSource({ id: 'lobby-mic_2.left', command: ['true'], format: s16, logger, onFrames: () => undefined }));
});

t.test('a command that keeps ending without audio is a problem for earshot status, saying how it ends, until a run gives audio', async (t) => {
  const { logger } = logs();
  const marker = join(tempDir(), 'camera-up');
  // The camera refuses the first two runs, then streams.
  const script = `n=$(cat '${marker}' 2>/dev/null || echo 0); echo $((n+1)) > '${marker}'; if [ "$n" -lt 2 ]; then echo "rtsp://admin:hunter2@cam: Connection refused" >&2; exit 1; fi; while :; do head -c 3200 /dev/zero; sleep 0.05; done`;
  const camera = new CommandSource({ id: 'cam', command: ['sh', '-c', script], format: s16, backoff, logger, onFrames: () => undefined });
  const missing = new CommandSource({ id: 'mic', command: ['/nonexistent/arecord'], format: s16, backoff, logger, onFrames: () => undefined });
  const silent = new CommandSource({ id: 'stalled', command: ['sleep', '30'], format: s16, backoff, noDataTimeoutMs: 200, logger, onFrames: () => undefined });
  const set = new SourceSet([camera, missing, silent], logger);
  await set.start();
  t.teardown(() => set.stop());
  const problemOf = (id: string) => set.status().find((s) => s.id === id)!.problem;
  await until(() => camera.starts >= 2 && missing.starts >= 2 && silent.starts >= 2);
  t.match(problemOf('cam'), /^no audio from (its last run|2 runs in a row): sh exited with code 1 \(rtsp:\/\/\*\*\*@cam: Connection refused\); (next try in \d+ s|running again, no audio yet)$/);
  t.match(problemOf('mic'), /^no audio from .*: cannot run \/nonexistent\/arecord: spawn \/nonexistent\/arecord ENOENT; /);
  t.match(problemOf('stalled'), /^no audio from .*: sleep sent nothing for 0 s and was restarted; /);
  t.same(set.status().map((s) => s.state), ['running', 'running', 'running'], 'still running: they are restarted for ever');
  await until(() => camera.starts >= 3);
  await until(() => problemOf('cam') === undefined);
  t.ok(true, 'the problem goes once the camera gives audio');
});

t.test("a command writing WAV to stdout (sox, arecord without -t raw) is read in the header's format", async (t) => {
  const { logger, records } = logs();
  const frames: AudioFrames[] = [];
  // One run of 1 s of 440 Hz at 48 kHz stereo 16-bit, then a long sleep so the run is one stream.
  const sox = ['sh', '-c', 'sox -q -n -t wav -r 48000 -c 2 -b 16 - synth 1 sine 440 vol 0.5; sleep 30'];
  const source = new CommandSource({ id: 'sox-wav', command: sox, format: s16, backoff, logger, onFrames: (f) => void frames.push(f) });
  await source.start();
  t.teardown(() => source.stop());
  const total = () => frames.reduce((n, f) => n + f.samples.length, 0);
  await until(() => total() >= 15000);
  await new Promise((r) => setTimeout(r, 300));
  const samples = Float32Array.from(frames.flatMap((f) => Array.from(f.samples)));
  // Read as the source's raw 16 kHz mono, the 192 kB would be 6 s of audio.
  t.ok(samples.length <= 16000, `1 s of audio, not 6 (${samples.length} samples)`);
  const crossings = samples.slice(1, samples.length).filter((v, i) => (v >= 0) !== (samples[i]! >= 0)).length;
  t.ok(Math.abs(crossings - 880 * (samples.length / 16000)) <= 6, `a 440 Hz tone (${crossings} zero crossings)`);
  t.match(records().find((r) => String(r.msg).includes("header's format")), { source: 'sox-wav', sent: '48000 Hz, 2 ch, s16le', configured: '16000 Hz, 1 ch, s16le' });
});

t.test('a command whose WAV cannot be read as the source asks is restarted and stops, and earshot status says why (not "ended by SIGKILL")', async (t) => {
  const { logger, records } = logs();
  // arecord without -c sends mono; the source takes channel 1 of what it was told is stereo.
  const mono = ['sh', '-c', 'sox -q -n -t wav -r 16000 -c 1 -b 16 - synth 30 sine 440 vol 0.5'];
  const source = new CommandSource({ id: 'right', command: mono, format: { ...s16, channels: 2 }, channel: 1, backoff, logger, onFrames: () => undefined });
  // A G.711 camera's audio copied into WAV (ffmpeg -c:a copy -f wav -): a header that cannot be read, and megabytes behind it.
  const mulaw = ['sh', '-c', 'sox -q -n -t wav -e mu-law -r 48000 -c 2 - synth 60 sine 440 vol 0.5'];
  const camera = new CommandSource({ id: 'cam', command: mulaw, format: s16, backoff, logger, onFrames: () => undefined });
  const set = new SourceSet([source, camera], logger);
  await set.start();
  // Its output left unread, the command was never seen to close: no restart, and a stop that hung.
  await until(() => source.starts >= 6 && camera.starts >= 3);
  t.match(set.status()[1]!.problem, /: the stream from sh could not be read: source cam: 8-bit format tag 0x7 is not supported/);
  t.match(set.status()[0]!.problem, /^no audio from .*: the stream from sh could not be read: source right: its stream is WAV of 16000 Hz, 1 ch, s16le \(its header says so\): PCM format: channel 1 does not exist/);
  const failures = records().filter((r) => r.msg === 'source stream failed; restarting the command' && r.source === 'right');
  t.ok(failures.length >= 1 && failures.length <= 3, `the same failure is not logged at every restart (${failures.length} lines for ${source.starts} starts)`);
  const stopping = Date.now();
  await set.stop();
  t.ok(Date.now() - stopping < 3000, `the source stops (in ${Date.now() - stopping} ms)`);
});
