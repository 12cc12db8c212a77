import { openAudioFile } from '../audio/decode-file.js';
import { floorBackoff, type BackoffOptions } from '../audio/sources/backoff.js';
import { CommandSource } from '../audio/sources/command-source.js';
import type { SourceConfig } from '../audio/sources/config.js';
import { SocketSource } from '../audio/sources/socket-source.js';
import { SpoolWatcher, type SpoolFile } from '../audio/sources/spool-watcher.js';
import type { AudioSource } from '../audio/sources/types.js';
import type { Logger } from '../log/logger.js';
import { createDetector } from './create-detector.js';
import { detectFileSegments } from './detect-file.js';
import { KeptDetector } from './kept-detector.js';
import { LiveVad } from './live-vad.js';
import { resolveSegmenterSettings, type SegmenterSettingsInput } from './sensitivity.js';
import type { DetectorName, SpeechSegment } from './types.js';

/** The `vad` section of the daemon config. */
export interface VadConfig extends SegmenterSettingsInput {
  detector: DetectorName;
}

export interface BuildSourcesDeps {
  logger: Logger;
  vad: VadConfig;
  /** Where speech goes (the job queue). A spool file counts as done only once this resolved for all its segments. */
  onSegment: (segment: SpeechSegment) => Promise<void>;
  /** Each live source's VAD, so its open speech can be followed (live partials). */
  onLiveVad?: (live: LiveVad) => void;
  /** Makes each detector a source uses; createDetector unless the caller wraps it. */
  createDetector?: typeof createDetector;
}

/**
 * Builds the configured sources, each wired through its own VAD into `onSegment`.
 * Configuration errors (a bad id, an empty command) throw here, naming the source;
 * runtime failures are the source's own business (restart, failed/ folder).
 */
export function buildSources(configs: SourceConfig[], deps: BuildSourcesDeps): AudioSource[] {
  const settings = resolveSegmenterSettings(deps.vad);
  return configs.map((config, index) => {
    const logger = deps.logger.child(config.id);
    const detector = () => (deps.createDetector ?? createDetector)(deps.vad.detector, logger);
    try {
      switch (config.type) {
        case 'spool': {
          // The watcher reads one recording at a time, so one detector serves them all.
          const kept = new KeptDetector(detector);
          return new SpoolWatcher({
            id: config.id,
            dir: config.dir,
            settleMs: config.settleMs,
            pollMs: config.pollMs,
            keepDoneDays: config.keepDoneDays,
            keepFailedDays: config.keepFailedDays,
            requireMount: config.requireMount ?? false,
            logger,
            handler: async (file: SpoolFile) => {
              const d = await kept.take();
              // Others write to spool folders: a link swapped in for a recording is refused.
              const decode = { raw: config.raw ?? undefined, channel: config.channel, noFollow: true };
              // Wall-clock times from the file: it began one duration before its last write.
              const result = await detectFileSegments(file.path, { sourceId: config.id, detector: d, settings, decode, onSegment: (s) => deps.onSegment({ ...s, recording: file.name }) });
              logger.info('spool file analysed', { file: file.name, durationSec: result.durationSec, segments: result.segments, kept: Number(result.keptFraction.toFixed(3)) });
            },
            afterStop: () => kept.close(),
          });
        }
        case 'command':
        case 'socket': {
          const live = new LiveVad({ sourceId: config.id, createDetector: detector, settings, onSegment: deps.onSegment, logger });
          deps.onLiveVad?.(live);
          const channel = config.channel ?? 'mix';
          const source: AudioSource =
            config.type === 'command'
              ? new CommandSource({ id: config.id, command: config.command, format: config.format, channel, backoff: commandBackoff(config, logger), noDataTimeoutMs: (config.noDataTimeoutSec ?? 0) * 1000, logger, onFrames: live.onFrames, onStreamEnd: () => live.end() })
              : new SocketSource({ id: config.id, listen: socketListen(config), format: config.format, channel, noDataTimeoutMs: (config.noDataTimeoutSec ?? 0) * 1000, logger, onFrames: live.onFrames, onStreamEnd: () => live.end() });
          return withVadFlush(source, live);
        }
      }
    } catch (err) {
      throw new Error(`sources[${index}] (${JSON.stringify(config.id)}): ${err instanceof Error ? err.message : String(err)}`);
    }
    throw new Error(`sources[${index}]: unknown type ${JSON.stringify((config as { type: unknown }).type)}; use spool, command or socket`);
  });
}

/**
 * A command source's backoff raised to the floors, with a warning for each setting raised:
 * the schema still accepts the lower values configs had before the floors existed.
 */
function commandBackoff(config: Extract<SourceConfig, { type: 'command' }>, logger: Logger): BackoffOptions | undefined {
  if (!config.backoff) return undefined;
  const { backoff, raised } = floorBackoff(config.backoff);
  for (const { setting, configured, used } of raised) {
    logger.warn(`sources (id ${JSON.stringify(config.id)}).backoff.${setting} ${configured} is below the ${used} ms floor; using ${used}`, { setting: `backoff.${setting}`, configured, used });
  }
  return backoff;
}

function socketListen(config: Extract<SourceConfig, { type: 'socket' }>): { path: string } | { host: string; port: number } {
  if (config.path) return { path: config.path };
  if (config.port !== undefined) return { host: config.host ?? '127.0.0.1', port: config.port };
  throw new Error('a socket source needs "path" (unix socket) or "port" (TCP on host, default 127.0.0.1)');
}

/** The source, with the speech still open in its VAD flushed after it stops. */
function withVadFlush(source: AudioSource, live: LiveVad): AudioSource {
  return {
    id: source.id,
    kind: source.kind,
    start: () => source.start(),
    stop: async () => {
      await source.stop();
      await live.end();
    },
    // What the source says about itself reaches `earshot status` (a command that gives no audio).
    ...(source.detail ? { detail: () => source.detail?.() } : {}),
    ...(source.problem ? { problem: () => source.problem?.() } : {}),
  };
}
