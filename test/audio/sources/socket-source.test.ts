import t from 'tap';
import { connect, createServer, type Socket } from 'node:net';
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SocketSource } from '../../../daemon/audio/sources/socket-source.js';
import type { AudioFrames } from '../../../daemon/audio/types.js';
import { LogSink, silentLogger } from '../../../daemon/log/logger.js';
import { tempDir } from '../../helpers/paths.js';
import { makeStaleSocket, serveFromStoppedProcess } from '../../helpers/stale-socket.js';
import { encodePcm, makeWav, sine } from '../make-wav.js';

const until = async (what: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const open = (target: { path: string } | { port: number; host: string }) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect(target as never, () => resolve(s));
    s.once('error', reject);
  });

t.test('raw PCM over a unix socket, resampled, one sender at a time, reconnects continue the timeline', async (t) => {
  const path = join(tempDir(), 'mic.sock');
  const frames: AudioFrames[] = [];
  const source = new SocketSource({ id: 'desk', listen: { path }, format: { encoding: 's16le', sampleRate: 8000, channels: 2 }, logger: silentLogger, onFrames: (f) => void frames.push(f) });
  await source.start();
  t.teardown(() => source.stop());
  const pcm = encodePcm(sine(8000, 440, 1, 2), 's16le');
  const first = await open({ path });
  // Odd-sized pieces: frames split across writes must still decode.
  for (let i = 0; i < pcm.length; i += 1001) first.write(pcm.subarray(i, i + 1001));
  const second = await open({ path });
  await new Promise((r) => second.once('close', r));
  t.ok(true, 'a second sender is refused while the first streams');
  first.end();
  const total = () => frames.reduce((n, f) => n + f.samples.length, 0);
  await until(() => total() === 16000);
  t.equal(frames[0]!.discontinuity, true);
  t.equal(frames.filter((f) => f.discontinuity).length, 1);
  const again = await open({ path });
  again.end(pcm.subarray(0, 3200)); // 0.1 s
  await until(() => total() === 17600);
  const restart = frames.filter((f) => f.discontinuity)[1]!;
  t.equal(restart.startSample, 16000, 'the new sender continues the source timeline');
  t.equal(restart.sourceId, 'desk');
});

t.test('TCP on loopback with an ephemeral port', async (t) => {
  const frames: AudioFrames[] = [];
  const source = new SocketSource({ id: 'tcp', listen: { host: '127.0.0.1', port: 0 }, format: { encoding: 'f32le', sampleRate: 16000, channels: 1 }, logger: silentLogger, onFrames: (f) => void frames.push(f) });
  await source.start();
  t.teardown(() => source.stop());
  const c = await open({ host: '127.0.0.1', port: source.port! });
  c.end(encodePcm([0.25, -0.5, 0.75], 'f32le'));
  await until(() => frames.length > 0);
  t.same(Array.from(frames[0]!.samples), [0.25, -0.5, 0.75]);
});

t.test('a path holding a regular file is refused, naming it, and the file survives start and stop', async (t) => {
  const path = join(tempDir(), 'settings.json');
  writeFileSync(path, '{"keep":"me"}');
  const source = new SocketSource({ id: 'typo', listen: { path }, format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, logger: silentLogger, onFrames: () => undefined });
  await t.rejects(source.start(), { message: new RegExp(`sources \\(id "typo"\\)\\.path: ${path} is a regular file, not a unix socket; refusing to delete it`) });
  await source.stop();
  t.equal(readFileSync(path, 'utf8'), '{"keep":"me"}');
});

t.test('a stale socket file left by a crash is replaced', async (t) => {
  const path = join(tempDir(), 'mic.sock');
  await makeStaleSocket(path);
  t.ok(lstatSync(path).isSocket());
  const frames: AudioFrames[] = [];
  const source = new SocketSource({ id: 'desk', listen: { path }, format: { encoding: 'f32le', sampleRate: 16000, channels: 1 }, logger: silentLogger, onFrames: (f) => void frames.push(f) });
  await source.start();
  (await open({ path })).end(encodePcm([0.5], 'f32le'));
  await until(() => frames.length > 0);
  await source.stop();
  t.throws(() => lstatSync(path), { code: 'ENOENT' }, 'its own socket file is removed on stop');
});

t.test('a socket another program serves is refused, naming the setting, and keeps serving its owner', async (t) => {
  const path = join(tempDir(), 'mic.sock');
  const received: Buffer[] = [];
  const owner = createServer((socket) => socket.on('data', (d: Buffer) => void received.push(d)));
  await new Promise<void>((resolve) => owner.listen(path, resolve));
  t.teardown(() => new Promise<void>((resolve) => owner.close(() => resolve())));
  const source = new SocketSource({ id: 'desk', listen: { path }, format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, logger: silentLogger, onFrames: () => undefined });
  const setting = 'sources (id "desk").path';
  await t.rejects(source.start(), { message: `${setting}: another program is already serving ${path} (it accepted a connection); stop it first or set ${setting} to another path` });
  await source.stop();
  t.ok(lstatSync(path).isSocket(), 'the socket file is kept');
  (await open({ path })).end('still served');
  await until(() => Buffer.concat(received).toString() === 'still served');
});

t.test('a socket whose owner is stopped with a full backlog is refused at once; once that process is gone, its file is stale and replaced', async (t) => {
  const path = join(tempDir(), 'mic.sock');
  const owner = await serveFromStoppedProcess(path);
  t.teardown(() => owner.kill());
  const frames: AudioFrames[] = [];
  const source = new SocketSource({ id: 'desk', listen: { path }, format: { encoding: 'f32le', sampleRate: 16000, channels: 1 }, logger: silentLogger, onFrames: (f) => void frames.push(f) });
  t.teardown(() => source.stop());
  // Refused at once, not after the probe's 1 s timeout: below that, with up to three tries
  // (a refused start changes nothing), so one stall of this process cannot fail it while a
  // probe that waits for its timeout fails every try.
  const took: number[] = [];
  while (took.length === 0 || (took.length < 3 && took.at(-1)! >= 900)) {
    const begun = Date.now();
    await t.rejects(source.start(), { message: /another program is already serving .* \(its backlog is full, as when its process is stopped\)/ });
    took.push(Date.now() - begun);
  }
  t.ok(Math.min(...took) < 900, `without waiting for the probe to time out (${took.join(', ')} ms)`);
  await owner.kill();
  t.ok(lstatSync(path).isSocket(), 'a killed process leaves its socket file');
  await source.start();
  (await open({ path })).end(encodePcm([0.5], 'f32le'));
  await until(() => frames.length > 0);
});

t.test("the unix socket is 0660 under the service's UMask=0027, so a sender in the daemon's group can connect", async (t) => {
  const path = join(tempDir(), 'mic.sock');
  const before = process.umask(0o027);
  t.teardown(() => void process.umask(before));
  const source = new SocketSource({ id: 'desk', listen: { path }, format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, logger: silentLogger, onFrames: () => undefined });
  await source.start();
  t.teardown(() => source.stop());
  t.equal(lstatSync(path).mode & 0o777, 0o660, 'read and write for owner and group, nothing for others');
});

t.test('a sender reconnecting in a loop while another streams is refused each time, logged a few times only', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'json', write: (l) => lines.push(l) }).logger('sources');
  const path = join(tempDir(), 'mic.sock');
  const source = new SocketSource({ id: 'desk', listen: { path }, format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, logger, onFrames: () => undefined });
  await source.start();
  t.teardown(() => source.stop());
  const streaming = await open({ path });
  t.teardown(() => streaming.destroy());
  streaming.write(Buffer.alloc(3200));
  for (let i = 0; i < 30; i++) {
    const retry = await open({ path });
    await new Promise((r) => retry.once('close', r));
  }
  const refusals = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === 'source socket: refusing a second sender while one is streaming');
  t.equal(refusals.length, 3, '30 refusals, 3 lines');
  t.equal(refusals[0]!.source, 'desk');
});

t.test('a sender that connects and sends nothing is let go after noDataTimeoutMs, so the next one gets in; a steady one is kept', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'json', write: (l) => lines.push(l) }).logger('sources');
  const path = join(tempDir(), 'mic.sock');
  const frames: AudioFrames[] = [];
  const source = new SocketSource({ id: 'desk', listen: { path }, format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, noDataTimeoutMs: 400, logger, onFrames: (f) => void frames.push(f) });
  await source.start();
  t.teardown(() => source.stop());
  const stuck = await open({ path });
  const stuckClosed = new Promise((r) => stuck.once('close', r));
  stuck.on('error', () => undefined);
  await stuckClosed;
  await until(() => lines.some((l) => l.includes('source socket: sender disconnected')));
  const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'source socket: sender sent no audio; disconnecting it so that another can connect');
  t.equal(warning?.source, 'desk', 'the warning names the source');
  t.ok(Number(warning?.silentForMs) >= 400);
  t.notOk(lines.some((l) => l.includes('stream ended with an error')), 'and no second warning calls its end an error');

  // A sender writing 0.1 s every 0.1 s for 1.2 s (3 times the limit) stays connected.
  const steady = await open({ path });
  let steadyClosed = false;
  steady.once('close', () => (steadyClosed = true));
  for (let i = 0; i < 12 && !steadyClosed; i++) {
    steady.write(Buffer.alloc(3200));
    await new Promise((r) => setTimeout(r, 100));
  }
  t.notOk(steadyClosed, 'the steady sender was not let go');
  steady.end();
  await until(() => frames.reduce((n, f) => n + f.samples.length, 0) === 12 * 1600);
});

t.test('a sender faster than real time gets a wall-clock timeline that never goes back: each frame starts where the one before ended', async (t) => {
  const path = join(tempDir(), 'fast.sock');
  const frames: AudioFrames[] = [];
  const source = new SocketSource({ id: 'replay', listen: { path }, format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, logger: silentLogger, onFrames: (f) => void frames.push(f) });
  await source.start();
  t.teardown(() => source.stop());
  // 30 s of audio as fast as the socket takes it (a recording piped in), in 1 s writes.
  const second = encodePcm(sine(16000, 440, 1, 1), 's16le');
  const sender = await open({ path });
  for (let i = 0; i < 30; i++) sender.write(second);
  sender.end();
  const total = () => frames.reduce((n, f) => n + f.samples.length, 0);
  await until(() => total() === 30 * 16000);
  t.ok(frames.length > 1, `${frames.length} frames`);
  const backwards = frames.slice(1).filter((f, i) => f.wallTimeMs < frames[i]!.wallTimeMs + (frames[i]!.samples.length * 1000) / 16000 - 1e-6);
  t.equal(backwards.length, 0, 'no frame is dated before the previous one ended');
  const last = frames.at(-1)!;
  t.ok(last.wallTimeMs + (last.samples.length * 1000) / 16000 - frames[0]!.wallTimeMs >= 30_000 - 1, 'the 30 s span 30 s of the timeline');
});

t.test("a sender that sends WAV (arecord without -t raw) is read in its header's format, the header not taken for samples", async (t) => {
  const path = join(tempDir(), 'wav.sock');
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'json', write: (l) => lines.push(l) }).logger('sources');
  const frames: AudioFrames[] = [];
  const source = new SocketSource({ id: 'arecord', listen: { path }, format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, logger, onFrames: (f) => void frames.push(f) });
  await source.start();
  t.teardown(() => source.stop());
  const total = () => frames.reduce((n, f) => n + f.samples.length, 0);
  // 1 s at 48 kHz, stereo, float, with a streaming writer's unknown sizes and a chunk before
  // the data; sent in 7-byte pieces so that the header arrives split.
  const wav = makeWav({ encoding: 'f32le', sampleRate: 48000, channels: 2 }, encodePcm(sine(48000, 440, 1, 2), 'f32le'), { unknownSize: true, extraChunk: true });
  const sender = await open({ path });
  for (let i = 0; i < 203; i += 7) sender.write(wav.subarray(i, i + 7));
  sender.end(wav.subarray(203));
  await until(() => total() === 16000);
  const samples = Float32Array.from(frames.flatMap((f) => Array.from(f.samples)));
  // The mix of the two channels (0.5 and 0.25 of full scale): read as raw s16 at 16 kHz it would be 6 s of noise.
  const peak = samples.slice(1000, 15000).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  t.ok(Math.abs(peak - 0.375) < 0.01, `the 440 Hz tone at its level (peak ${peak.toFixed(3)})`);
  const crossings = samples.slice(1, 16000).filter((v, i) => (v >= 0) !== (samples[i]! >= 0)).length;
  t.ok(Math.abs(crossings - 880) <= 4, `880 zero crossings in 1 s (${crossings})`);
  const told = () => lines.filter((l) => l.includes("reading it in the header's format"));
  t.equal(told().length, 1);
  t.match(JSON.parse(told()[0]!), { source: 'arecord', sent: '48000 Hz, 2 ch, f32le', configured: '16000 Hz, 1 ch, s16le' });

  // The sender reconnects with the same format: not said again. One in the source's own
  // format is read the same way: only its samples, not the 44 header bytes, reach the frames.
  const again = await open({ path });
  again.end(wav);
  await until(() => total() === 32000);
  const own = await open({ path });
  own.end(makeWav({ encoding: 's16le', sampleRate: 16000, channels: 1 }, encodePcm(new Float64Array(1600).fill(0.25), 's16le')));
  await until(() => total() === 33600);
  const last = frames.filter((f) => f.discontinuity).at(-1)!;
  t.ok(Math.abs(last.samples[0]! - 0.25) < 0.001, `the first sample is the recording's, not header bytes (${last.samples[0]})`);
  t.equal(told().length, 1, 'one line for the format, however often the sender reconnects');
});

t.test('a WAV stream the daemon cannot read ends with an error saying why; the next sender is read', async (t) => {
  const path = join(tempDir(), 'bad-wav.sock');
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'json', write: (l) => lines.push(l) }).logger('sources');
  const frames: AudioFrames[] = [];
  const source = new SocketSource({ id: 'odd', listen: { path }, format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, logger, onFrames: (f) => void frames.push(f) });
  await source.start();
  t.teardown(() => source.stop());
  // 12-bit samples in 16-bit containers: a format the decoder does not take.
  const wav = makeWav({ encoding: 's16le', sampleRate: 16000, channels: 1 }, Buffer.alloc(3200));
  wav.writeUInt16LE(12, 34);
  const bad = await open({ path });
  bad.end(wav);
  await until(() => lines.some((l) => l.includes('stream ended with an error')));
  const line = JSON.parse(lines.find((l) => l.includes('stream ended with an error'))!) as { source: string; error: string };
  t.equal(line.source, 'odd');
  t.match(line.error, /source odd: 12-bit integer PCM is not supported/);
  t.equal(frames.length, 0, 'nothing of it was taken for audio');
  const good = await open({ path });
  good.end(encodePcm(new Float64Array(1600).fill(0.25), 's16le'));
  await until(() => frames.length > 0);
  t.pass('raw PCM from the next sender is read');
});

t.test('raw audio arriving far faster than its format plays (48 kHz stereo into a 16 kHz mono source) is warned of once, until a stream comes at its rate', async (t) => {
  const path = join(tempDir(), 'rate.sock');
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'json', write: (l) => lines.push(l) }).logger('sources');
  const source = new SocketSource({ id: 'mic', listen: { path }, format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, logger, onFrames: () => undefined, rateCheckAfterMs: 1000 });
  await source.start();
  t.teardown(() => source.stop());
  // A sender in real time: every 100 ms, 100 ms of its own format.
  const stream = async (bytesPer100ms: number, ms: number) => {
    const sender = await open({ path });
    for (let sent = 0; sent <= ms; sent += 100) {
      sender.write(Buffer.alloc(bytesPer100ms, 1));
      await new Promise((r) => setTimeout(r, 100));
    }
    sender.end();
    await new Promise((r) => sender.once('close', r));
  };
  const warnings = () => lines.filter((l) => l.includes('real time for its format')).map((l) => JSON.parse(l) as { msg: string; source: string; configured: string });
  await stream(19_200, 1500); // 48 kHz, 2 ch, s16
  t.equal(warnings().length, 1);
  t.match(warnings()[0]!.msg, /arrives at (5\.\d|6\.\d)× real time/);
  t.match(warnings()[0], { source: 'mic', configured: '16000 Hz, 1 ch, s16le' });
  await stream(19_200, 1500);
  t.equal(warnings().length, 1, 'the same sender again is not warned of again');
  await stream(3_200, 1500); // what the source expects
  t.equal(warnings().length, 1, 'a sender at the format\'s rate is not warned of');
  await stream(6_400, 1500); // 16 kHz f32, or 32 kHz s16
  t.equal(warnings().length, 2, 'after a stream at its rate, a fast one is warned of again');
});
