import type { BackoffOptions } from './backoff.js';
import type { ChannelSelect, PcmFormat } from '../types.js';

/**
 * The `sources` entries of the daemon config, as validated by config.schema.json (which
 * holds the defaults; fields optional here are filled there).
 */
export interface SpoolSourceConfig {
  id: string;
  type: 'spool';
  dir: string;
  settleMs?: number;
  pollMs?: number;
  /** For WAV files this is read from the header; for headerless files it declares the format. */
  raw?: PcmFormat | null;
  channel?: ChannelSelect;
  /** Days a recording stays in done/ (failed/) before it is deleted; null: for ever. */
  keepDoneDays?: number | null;
  keepFailedDays?: number | null;
  /** The folder is a share's mount point: while nothing is mounted there, the source is failed. */
  requireMount?: boolean;
}

export interface CommandSourceConfig {
  id: string;
  type: 'command';
  command: string[];
  format: PcmFormat;
  channel?: ChannelSelect;
  backoff?: BackoffOptions;
  /** Seconds without audio before the command is restarted; 0: never. */
  noDataTimeoutSec?: number;
  /** Segments that may wait for transcription before reading pauses (see CaptureService). */
  maxQueuedSegments: number;
}

export interface SocketSourceConfig {
  id: string;
  type: 'socket';
  /** Unix socket path; or host + port for TCP. */
  path?: string;
  host?: string;
  port?: number;
  format: PcmFormat;
  channel?: ChannelSelect;
  /** Seconds a sender may be connected without sending audio before it is let go; 0: for ever. */
  noDataTimeoutSec?: number;
  /** Segments that may wait for transcription before reading pauses (see CaptureService). */
  maxQueuedSegments: number;
}

export type SourceConfig = SpoolSourceConfig | CommandSourceConfig | SocketSourceConfig;
