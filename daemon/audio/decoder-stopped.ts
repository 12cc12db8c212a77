import { STOPPED_BY_SIGNAL } from '../shortage/transient-errors.js';

/**
 * ffmpeg did not fail on the file: it was stopped by a signal someone sent to stop it — a
 * unit with systemd's default KillMode=control-group (ours says mixed) signals every process
 * in it, a terminal's Ctrl-C the whole process group, or an administrator. Its code makes
 * it transient: the scheduler postpones the job without counting the try (it resumes from
 * its saved progress), and a spool recording stays in the folder for a later scan, instead
 * of either being failed for good as an undecodable file.
 */
export class DecoderStopped extends Error {
  readonly code = STOPPED_BY_SIGNAL;
  constructor(
    readonly file: string,
    readonly signal: string,
  ) {
    super(`ffmpeg was stopped by ${signal} while decoding ${file}; the file is not at fault and is decoded again later`);
    this.name = 'DecoderStopped';
  }
}

/** Signals that ask a process to stop: a service manager's, a terminal's Ctrl-C, a hangup. */
const STOP_SIGNALS = new Set<string>(['SIGTERM', 'SIGINT', 'SIGHUP']);
const STOP_SIGNAL_NUMBERS: Record<string, string> = { '1': 'SIGHUP', '2': 'SIGINT', '15': 'SIGTERM' };

/**
 * The stop signal that ended ffmpeg, or undefined when it ended for another reason.
 *
 * Killed outright (before its handler is installed, or by a signal it does not handle, such
 * as SIGHUP in 5.x), Node reports the signal. Handled, ffmpeg ends its output cleanly and
 * exits 255, its code for "received a signal"; it says "received signal N" only at the info
 * level, above our `-v error`, so this takes 255 with nothing on stderr, or with that line
 * where it shows. A failure of its own is printed at the error level: 255 with any other
 * message stays a failure of the file. SIGKILL (the OOM killer) and crashes (SIGSEGV) stay
 * failures too, so a file that brings the decoder down every time is not retried forever.
 */
export function stopSignal(code: number | null, signal: NodeJS.Signals | null, stderr: string): string | undefined {
  if (signal) return STOP_SIGNALS.has(signal) ? signal : undefined;
  if (code !== 255) return undefined;
  const said = /received signal (\d+)/.exec(stderr);
  if (said) return STOP_SIGNAL_NUMBERS[said[1]!];
  return stderr.trim() === '' ? 'a signal (exit 255)' : undefined;
}
