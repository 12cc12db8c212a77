import type { AudioFrames } from '../types.js';

/** Anything that produces audio for the pipeline: a spool folder, a live command, a socket. */
export interface AudioSource {
  /** Names the source in topics, jobs and logs; checked by `checkSourceId`. */
  readonly id: string;
  readonly kind: 'spool' | 'command' | 'socket';
  start(): Promise<void>;
  /** Stops everything the source started (children, timers, sockets, watchers). */
  stop(): Promise<void>;
  /** More about the source for `earshot status` (a spool folder's retention), if anything. */
  detail?(): string | undefined;
  /**
   * What is wrong with it while it runs that an operator should mend (a spool folder that
   * cannot be read, or whose share is not mounted), if anything: `earshot status --check` fails on it.
   */
  problem?(): string | undefined;
  /** Recordings in the source's folder now, not read yet (a spool source); `earshot jobs wait` waits for them. */
  recordingsWaiting?(): Promise<number>;
}

/**
 * Receives a live source's audio, mono 16 kHz, in order. The source waits for the promise
 * before reading more, so a slow consumer slows the source down instead of queueing audio.
 */
export type FramesHandler = (frames: AudioFrames) => void | Promise<void>;

const SOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * A source id becomes part of MQTT topics and file names, so it may hold only letters,
 * digits, `_`, `.`, `-` (no `/`, `..`, NUL, MQTT wildcards), at most 64 characters.
 */
export function checkSourceId(id: unknown): string {
  if (typeof id !== 'string' || !SOURCE_ID.test(id) || id.includes('..')) {
    throw new Error(
      `source id ${JSON.stringify(id)} is not allowed: use 1-64 letters, digits, "_", "." or "-", starting with a letter or digit, without ".."`,
    );
  }
  return id;
}

/** Whether `name` is a bare file name that stays inside its directory: no separators, no NUL, not "." or "..". */
export function isPlainFileName(name: string): boolean {
  return !(name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name));
}

/** `name` when it is a plain file name (see isPlainFileName); otherwise throws, saying why. */
export function checkFileName(name: string): string {
  if (!isPlainFileName(name)) {
    throw new Error(`file name ${JSON.stringify(name)} is not allowed: it must be a plain name inside its folder`);
  }
  return name;
}
