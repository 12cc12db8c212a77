import { spawn, spawnSync } from 'node:child_process';
import type { ChannelSelect } from './types.js';
import { DecoderStopped, stopSignal } from './decoder-stopped.js';

/**
 * Optional decoding of other containers (mp3, ogg, m4a, flac, …) through an installed
 * `ffmpeg`. Detected at run time: the appliance works without it and says how to get it.
 */

let cached: { path: string | null; checkedFor: string } | null = null;

/** The ffmpeg binary to use, or null when none runs. Checked once per binary name. */
export function findFfmpeg(binary = 'ffmpeg'): string | null {
  if (cached && cached.checkedFor === binary) return cached.path;
  const probe = spawnSync(binary, ['-hide_banner', '-version'], { stdio: 'ignore', timeout: 5000 });
  const path = probe.status === 0 ? binary : null;
  cached = { path, checkedFor: binary };
  return path;
}

/**
 * The containers ffmpeg may open for us: recordings only. Playlists and indirections (hls,
 * dash, concat, image2 …) are left out because they open further files or URLs named
 * inside the input — a "recording" dropped in a spool folder could otherwise have ffmpeg
 * read any file the daemon can, or fetch from the network. `mov` also reads MP4 and M4A,
 * `matroska` WebM, `ogg` Opus and Vorbis, `asf` WMA.
 */
export const AUDIO_DEMUXERS = 'wav,w64,mp3,flac,ogg,mov,matroska,aac,ac3,eac3,amr,caf,aiff,au,wv,ape,asf,avi,flv,mpeg,mpegts';

/**
 * Streams `file` as mono float32 little-endian PCM at `sampleRate`, decoded by ffmpeg.
 * The child is killed if the consumer stops early; a failing decode throws with ffmpeg's
 * own error text. With `fd`, ffmpeg reads that open file (its fd 3, through /dev/fd/3, which
 * stays seekable) and `file` only names it in messages. Stopped by a signal someone sent, it
 * throws DecoderStopped (transient: not the file's fault).
 */
export async function* ffmpegDecode(
  ffmpeg: string,
  file: string,
  sampleRate: number,
  channel: ChannelSelect = 'mix',
  fd?: number,
): AsyncGenerator<Buffer> {
  const mono = channel === 'mix' ? ['-ac', '1'] : ['-af', `pan=mono|c0=c${channel}`];
  const input = fd === undefined ? file : 'file:/dev/fd/3';
  // A process group of its own, so a terminal's Ctrl-C (SIGINT to the foreground group)
  // reaches only the daemon, which ends the decode itself when it interrupts the job. It
  // cannot outlive us: killed below when the reading stops, and if the daemon dies its next
  // write fails (EPIPE) and it stops; under systemd the unit's cgroup is killed as well.
  const child = spawn(
    ffmpeg,
    ['-nostdin', '-hide_banner', '-v', 'error', '-format_whitelist', AUDIO_DEMUXERS, '-protocol_whitelist', 'file', '-i', input, ...mono, '-ar', String(sampleRate), '-f', 'f32le', '-'],
    { stdio: ['ignore', 'pipe', 'pipe', fd ?? 'ignore'], detached: true },
  );
  // Both are pipes, as asked above (the typings lose that with a fourth stdio entry).
  const stdout = child.stdout!;
  const stderrStream = child.stderr!;
  let stderr = '';
  stderrStream.setEncoding('utf8');
  stderrStream.on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let finished = false;
  try {
    for await (const chunk of stdout) yield chunk as Buffer;
    const { code, signal } = await exited;
    finished = true;
    if (code !== 0) {
      const stoppedBy = stopSignal(code, signal, stderr);
      if (stoppedBy) throw new DecoderStopped(file, stoppedBy);
      const hint = /not on whitelist/.test(stderr) ? ` (not a recording format earshot decodes; it takes ${AUDIO_DEMUXERS.replace(/,/g, ', ')})` : '';
      throw new Error(`ffmpeg could not decode ${file} (${signal ? `killed by ${signal}` : `exit ${code}`}): ${stderr.trim() || 'no message'}${hint}`);
    }
  } finally {
    if (!finished) child.kill('SIGKILL');
  }
}
