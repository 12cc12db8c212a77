import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../log/logger.js';
import type { ChannelSelect, PcmFormat } from '../types.js';
import { FrameEmitter, type FrameEmitterOptions } from './frame-emitter.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { RepeatedFailures } from './repeated-failures.js';
import { StderrTail } from './stderr-tail.js';
import { NoDataWatchdog, watchFrames } from './no-data-watchdog.js';
import { ExitDrain, type OutputLetGo } from './exit-drain.js';
import { checkSourceId, type AudioSource, type FramesHandler } from './types.js';
import { maskUrlCredentials } from '../../log/redact.js';

export interface CommandSourceOptions extends FrameEmitterOptions {
  id: string;
  /** argv of a command that writes raw PCM to stdout, e.g. ["arecord", "-q", "-f", "S16_LE", "-r", "16000", "-c", "1", "-t", "raw"]. Run without a shell. */
  command: string[];
  /** What the command writes. */
  format: PcmFormat;
  channel?: ChannelSelect;
  backoff?: BackoffOptions;
  /** Restart the command, with a warning, after this long without audio; absent or 0: never. */
  noDataTimeoutMs?: number;
  logger: Logger;
  onFrames: FramesHandler;
}

/**
 * A live stream read from a command's stdout (arecord from a microphone, ffmpeg from an RTSP
 * camera). When the command exits or cannot start, it is restarted after an exponential
 * backoff; the source's timeline keeps counting, and the first frames after a restart are
 * marked as a discontinuity so that VAD does not join speech across the gap.
 */
export class CommandSource implements AudioSource {
  readonly id: string;
  readonly kind = 'command' as const;
  private child: ChildProcess | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** True once the current child closed (it and everything holding its stdout are gone). */
  private closed = true;
  private backoff: Backoff;
  private readonly restartWarnings = new RepeatedFailures();
  /** A stream that cannot be read (a WAV in a codec, a channel its header lacks) fails each run alike. */
  private readonly streamWarnings = new RepeatedFailures();
  /** Why the current run's output could not be read, if so: its end is then our SIGKILL, which says nothing. */
  private streamError: string | null = null;
  /** The last exit's warning was logged: the start after it is too, so a silenced dead camera's restarts stay silent. */
  private lastExitLogged = true;
  private readonly frames: FrameEmitter;
  private runs = 0;
  private exited: Promise<void> = Promise.resolve();
  private readonly watchdog: NoDataWatchdog | null;
  /** The running command's output, read to its end after the command exits. */
  private output: ExitDrain | null = null;
  /** Whether the current run has written audio yet. */
  private heard = false;
  /** Runs in a row that ended without writing audio, and how the last one ended: `earshot status` shows them. */
  private silentRuns = 0;
  private lastFailure = '';
  private retryAt = 0;
  /** The current run is being ended by the no-data check. */
  private silencedAfterMs: number | null = null;

  constructor(private readonly options: CommandSourceOptions) {
    this.id = checkSourceId(options.id);
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    const heard: FramesHandler = (frames) => {
      this.heard = true;
      this.silentRuns = 0;
      return options.onFrames(frames);
    };
    const { watchdog, onFrames } = watchFrames(options.noDataTimeoutMs, (silentForMs) => this.onSilent(silentForMs), heard);
    this.watchdog = watchdog;
    this.frames = new FrameEmitter(this.id, onFrames, options);
  }

  /** How many times the command has been started (1 + restarts). */
  get starts(): number {
    return this.runs;
  }

  async start(): Promise<void> {
    if (this.options.command.length === 0) throw new Error(`source ${this.id}: "command" is empty; give the program and its arguments`);
    this.stopping = false;
    this.launch();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.watchdog?.stop();
    this.output?.hurry(READ_AFTER_EXIT_WHILE_STOPPING_MS);
    const child = this.child;
    if (child && !this.closed) await this.terminate(child);
    else await this.exited;
    this.child = null;
    const unloggedRestarts = this.restartWarnings.pending;
    this.options.logger.info('source command stopped', { source: this.id, ...(unloggedRestarts > 0 ? { unloggedRestarts } : {}) });
  }

  /**
   * A command that keeps ending without audio (a program that is not installed, a camera that
   * refuses it, a device that blocks) is restarted for ever, and the source stays up; this says
   * so, for `earshot status` and its --check, until a run writes audio again.
   */
  problem(): string | undefined {
    if (this.silentRuns === 0 || this.stopping) return undefined;
    const runs = this.silentRuns === 1 ? 'its last run' : `${this.silentRuns} runs in a row`;
    const now = this.closed ? `next try in ${Math.max(0, Math.ceil((this.retryAt - Date.now()) / 1000))} s` : 'running again, no audio yet';
    return `no audio from ${runs}: ${this.lastFailure}; ${now}`;
  }

  private launch(): void {
    const { command, logger } = this.options;
    const startedAt = Date.now();
    this.runs++;
    this.heard = false;
    this.silencedAfterMs = null;
    this.streamError = null;
    const stderr = new StderrTail();
    // Its own process group, so that stop() also ends what the command started (a shell
    // pipeline such as `arecord | sox`); under systemd the unit's cgroup covers a crash.
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.closed = false;
    this.watchdog?.start();
    (this.lastExitLogged ? logger.info : logger.debug).call(logger, 'source command started', { source: this.id, pid: child.pid, run: this.runs });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => stderr.push(d));
    let spawnError: Error | null = null;
    child.once('error', (err) => {
      spawnError = err;
    });
    // 'close' waits for every holder of stdout, and a command may leave one behind
    // (`sleep 30 & exit 1`): then it would never come and the source never restart. So once
    // the command itself exits, end the rest of its group; what is in the pipe is still read
    // (ExitDrain says when to stop waiting for more), and stderr is let go a little later.
    const output = new ExitDrain(child.stdout!, {
      idleMs: LET_GO_IDLE_OUTPUT_AFTER_MS,
      limitMs: READ_AFTER_EXIT_AT_MOST_MS,
      onLetGo: (letGo) => this.onOutputLetGo(letGo),
    });
    this.output = output;
    const reading = this.frames.pump(output.chunks(), this.options.format, this.options.channel ?? 'mix').catch((err: unknown) => {
      const error = err instanceof Error ? err.message : String(err);
      this.streamError = error;
      const { log, unlogged } = this.streamWarnings.take(error);
      if (log) logger.warn('source stream failed; restarting the command', { source: this.id, error, ...(unlogged > 0 ? { unloggedFailures: unlogged } : {}) });
      killGroup(child, 'SIGKILL');
    });
    let stderrTimer: NodeJS.Timeout | undefined;
    child.once('exit', () => {
      this.watchdog?.stop();
      killGroup(child, 'SIGKILL');
      output.exited();
      stderrTimer = setTimeout(() => child.stderr!.destroy(), LET_GO_IDLE_OUTPUT_AFTER_MS);
    });
    this.exited = new Promise<void>((resolve) => {
      child.once('close', (code, signal) => {
        this.closed = true;
        this.watchdog?.stop();
        clearTimeout(stderrTimer);
        output.finish();
        void reading.then(() => {
          resolve();
          this.onExit(code, signal, spawnError, stderr, Date.now() - startedAt);
        });
      });
    });
  }

  /** SIGTERM to the command's group, SIGKILL if it is still there 2 s later; resolves once it has closed. */
  private async terminate(child: ChildProcess): Promise<void> {
    killGroup(child, 'SIGTERM');
    const force = setTimeout(() => killGroup(child, 'SIGKILL'), 2000);
    await this.exited;
    clearTimeout(force);
  }

  /** The command runs but has sent no audio for a while: restart it through the usual backoff. */
  private onSilent(silentForMs: number): void {
    const child = this.child;
    if (this.stopping || !child || this.closed) return;
    this.options.logger.warn('source command sent no audio; restarting it', {
      source: this.id,
      command: this.options.command[0],
      silentForMs,
      hint: 'check the device or stream; the limit is the source\'s noDataTimeoutSec (0 turns the check off)',
    });
    this.silencedAfterMs = silentForMs;
    void this.terminate(child);
  }

  /** The output of a command that exited was let go before its end; say so when that may have cut audio. */
  private onOutputLetGo(letGo: OutputLetGo): void {
    const fields = { source: this.id, command: this.options.command[0], ...letGo };
    if (letGo.reason === 'idle') {
      // Nothing was waiting and nothing came: no audio lost, only a process left behind.
      this.options.logger.debug('source command exited, and a process it left behind holds its output without writing; letting the output go', fields);
      return;
    }
    this.options.logger.warn(`source command output still open ${Math.round(letGo.afterExitMs / 1000)} s after the command exited; letting it go, and the audio still in it is lost`, {
      ...fields,
      hint: 'a process the command started outside its process group (setsid) may still write to it, or the pipeline was held up that long; droppedBytes counts only what had left the pipe',
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, spawnError: Error | null, stderr: StderrTail, ranForMs: number): void {
    if (this.stopping) return;
    const delay = this.backoff.next(ranForMs);
    // URL credentials in these fields (the program's path, a spawn error) are masked by the logger.
    const error = spawnError ? { error: spawnError.message } : { code, signal };
    const stderrTail = stderr.text();
    this.retryAt = Date.now() + delay;
    if (!this.heard) {
      this.silentRuns++;
      this.lastFailure = describeEnd(this.options.command[0]!, spawnError, code, signal, this.silencedAfterMs, stderrTail, this.streamError);
    }
    // Numbers (times, pids, byte counts) differ between otherwise identical failures.
    const warning = this.restartWarnings.take(`${JSON.stringify(error)} ${stderrTail ?? ''}`.replace(/\d+/g, '#'));
    this.lastExitLogged = warning.log;
    if (warning.log) {
      this.options.logger.warn('source command exited; restarting after backoff', {
        source: this.id,
        command: this.options.command[0],
        ...error,
        stderr: stderrTail,
        ranForMs,
        restartInMs: delay,
        attempt: this.backoff.attempts,
        ...(warning.unlogged > 0 ? { unloggedRestarts: warning.unlogged } : {}),
      });
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopping) this.launch();
    }, delay);
  }
}

/**
 * How long, once a command has exited, its output may sit open with nothing coming before it
 * is let go (then something it left behind holds it); and its stderr in any case.
 */
const LET_GO_IDLE_OUTPUT_AFTER_MS = 2000;
/**
 * How long after the exit the rest of the output is read at most. What the command itself
 * wrote is bounded by the pipe (about 200 KB: seconds of audio, which even a backed-up
 * pipeline gets through well within this); more than that means a process outside the group
 * still writes, and the source must restart and be able to stop all the same.
 */
const READ_AFTER_EXIT_AT_MOST_MS = 60_000;
/** The same while the source stops: the whole daemon's stop must end within systemd's 20 s. */
const READ_AFTER_EXIT_WHILE_STOPPING_MS = 5000;

/** How a run that wrote no audio ended, in words, for `earshot status`. */
function describeEnd(program: string, spawnError: Error | null, code: number | null, signal: NodeJS.Signals | null, silencedAfterMs: number | null, stderr: string | undefined, streamError: string | null): string {
  if (spawnError) return maskUrlCredentials(`cannot run ${program}: ${spawnError.message}`);
  if (streamError !== null) return maskUrlCredentials(`the stream from ${program} could not be read: ${streamError}`);
  const end = silencedAfterMs !== null ? `${program} sent nothing for ${Math.round(silencedAfterMs / 1000)} s and was restarted` : code !== null ? `${program} exited with code ${code}` : `${program} ended by ${signal ?? 'a signal'}`;
  // stderr's lines are masked already (StderrTail); the program's path may hold a URL too.
  return maskUrlCredentials(stderr ? `${end} (${stderr})` : end);
}

/** Signals the child's whole process group, or the child alone when it has none. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}
