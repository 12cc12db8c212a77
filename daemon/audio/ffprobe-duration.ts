import { spawn } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { AUDIO_DEMUXERS } from './ffmpeg.js';

/** A probe reads headers, and for some formats scans a little; longer than this is not worth waiting for. */
const PROBE_TIMEOUT_MS = 10_000;

/** ffprobe beside the ffmpeg in use (both come in Debian's ffmpeg package). */
export function ffprobeBeside(ffmpeg: string): string {
  const name = basename(ffmpeg).replace(/ffmpeg/, 'ffprobe');
  return ffmpeg.includes('/') ? join(dirname(ffmpeg), name) : name;
}

/**
 * The length in seconds of the recording open as `fd`, as its container says (ffprobe's
 * format duration), or null when it cannot be told: no ffprobe, a container without a
 * length, a probe that fails or takes too long. Only a date hangs on it (a recording's start
 * is its last write minus its length), so any failure here is the decode's to report.
 * ffprobe reads the open file (its fd 3), under the same format and protocol whitelists as
 * the decode, so a playlist cannot make it open other files.
 */
export function ffprobeDuration(ffprobe: string, fd: number): Promise<number | null> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(
        ffprobe,
        ['-v', 'error', '-format_whitelist', AUDIO_DEMUXERS, '-protocol_whitelist', 'file', '-show_entries', 'format=duration', '-of', 'default=noprint_wrappers=1:nokey=1', 'file:/dev/fd/3'],
        { stdio: ['ignore', 'pipe', 'ignore', fd], timeout: PROBE_TIMEOUT_MS, killSignal: 'SIGKILL' },
      );
    } catch {
      resolve(null);
      return;
    }
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      if (out.length < 200) out += d;
    });
    child.once('error', () => resolve(null));
    child.once('close', (code) => {
      const seconds = Number(out.trim());
      resolve(code === 0 && out.trim() !== '' && Number.isFinite(seconds) && seconds >= 0 ? seconds : null);
    });
  });
}
