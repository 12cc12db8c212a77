import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { MODEL_SAMPLE_RATE } from '../../daemon/audio/types.js';
import { startDaemonOnFreePort, type RunningDaemon } from './daemon-process.js';
import { fixturesDir, tempDir } from './paths.js';

/**
 * A real daemon with one live `socket` source ("desk", site "e2e") and partials every 300 ms,
 * and a sender that speaks a recording into it in real time: what the live-partials tests share.
 */

/** What a `socket` source is fed in one write, in seconds of audio. */
const CHUNK_SEC = 0.1;

/** Starts earshotd with the desk source, the fixture NeMo-CTC model and `extra` config; killed at teardown. */
export async function startLiveDaemon(t: { teardown(fn: () => unknown): void }, extra: Record<string, unknown> = {}): Promise<{ daemon: RunningDaemon; port: number; mic: string }> {
  const mic = join(tempDir('earshot-partials-'), 'mic.sock');
  const { daemon, port } = await startDaemonOnFreePort((port) => ({
    siteId: 'e2e',
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
    sources: [{ id: 'desk', type: 'socket', path: mic, format: { encoding: 'f32le', sampleRate: MODEL_SAMPLE_RATE, channels: 1 } }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
    partials: { enabled: true, intervalMs: 300, minSpeechMs: 300 },
    ...extra,
    // `extra.mqtt` adds to that section (its integrations), the embedded broker's port kept.
    ...(extra.mqtt ? { mqtt: { url: null, embedded: { host: '127.0.0.1', port }, ...(extra.mqtt as Record<string, unknown>) } } : {}),
  }));
  t.teardown(async () => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  return { daemon, port, mic };
}

/**
 * Speaks speech-silence-speech.wav (two stretches of speech) into the source's socket in real
 * time, then a second of silence so that the VAD closes the last stretch.
 */
export async function speakTwoStretches(t: { teardown(fn: () => unknown): void }, mic: string): Promise<void> {
  const speech = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const audio = new Float32Array(speech.length + MODEL_SAMPLE_RATE);
  audio.set(speech);
  const sender = await openSocket(mic);
  t.teardown(() => sender.destroy());
  await streamRealTime(sender, audio);
  sender.end();
}

function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `samples` as f32le in CHUNK_SEC pieces, each at the moment it would be heard. */
async function streamRealTime(socket: Socket, samples: Float32Array): Promise<void> {
  const chunk = Math.round(CHUNK_SEC * MODEL_SAMPLE_RATE);
  const t0 = Date.now();
  for (let i = 0, n = 0; i < samples.length; i += chunk, n++) {
    const piece = samples.slice(i, i + chunk);
    socket.write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    const due = t0 + (n + 1) * CHUNK_SEC * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }
}
