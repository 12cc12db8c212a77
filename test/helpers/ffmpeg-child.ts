import { spawnSync } from 'node:child_process';

/**
 * The pid of the ffmpeg that `parent` (default: this process) runs to decode a file, or
 * undefined when none runs. ffmpegDecode hands ffmpeg the opened file as /dev/fd/3, which
 * tells it apart from other ffmpeg processes on the machine.
 */
export function ffmpegChild(parent = process.pid): number | undefined {
  const found = spawnSync('pgrep', ['-P', String(parent), '-f', 'ffmpeg .*-i file:/dev/fd/3'], { encoding: 'utf8' });
  return found.status === 0 ? Number(found.stdout.trim().split('\n')[0]) : undefined;
}
