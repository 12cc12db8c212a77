import { Args, Flags } from '@oclif/core';
import { EarshotCommand } from '../earshot-command.js';
import { PCM_ENCODINGS, type ChannelSelect, type PcmEncoding, type PcmFormat } from '../../audio/types.js';
import { LogSink } from '../../log/logger.js';
import { createDetector } from '../../vad/create-detector.js';
import { detectFileSegments } from '../../vad/detect-file.js';
import { resolveSegmenterSettings, SENSITIVITIES } from '../../vad/sensitivity.js';
import { DETECTOR_NAMES } from '../../vad/types.js';

export interface VadCommandResult {
  file: string;
  detector: string;
  durationSec: number;
  speechSec: number;
  keptFraction: number;
  segments: Array<{ startSec: number; endSec: number; durationSec: number }>;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Runs voice-activity detection on a file here, without the daemon, and prints the speech segments. */
export default class Vad extends EarshotCommand {
  static override summary = 'Find the speech in an audio file and print its segments and the fraction of audio kept.';
  static override description =
    'Decodes FILE (WAV, raw PCM with --raw, or anything ffmpeg reads when it is installed), resamples it to 16 kHz mono, runs the chosen voice-activity detector and prints one line per speech segment. Works without the daemon.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> vad meeting.wav',
    '<%= config.bin %> vad meeting.wav --detector energy --json',
    '<%= config.bin %> vad capture.raw --raw s16le:16000:1 --sensitivity high',
  ];
  static override args = { file: Args.string({ description: 'audio file to analyse', required: true }) };
  static override flags = {
    detector: Flags.string({ description: 'voice-activity detector', options: [...DETECTOR_NAMES], default: 'silero' }),
    sensitivity: Flags.string({ description: 'named threshold level (high keeps more quiet speech)', options: [...SENSITIVITIES] }),
    threshold: Flags.string({ description: 'raw speech-probability threshold (0..1), overrides --sensitivity' }),
    'min-speech-ms': Flags.integer({ description: 'drop speech shorter than this', min: 0 }),
    'min-silence-ms': Flags.integer({ description: 'silence that ends a segment', min: 0 }),
    'pad-ms': Flags.integer({ description: 'audio kept before and after speech', min: 0 }),
    'max-segment-sec': Flags.integer({ description: 'split longer speech at its quietest point', min: 1 }),
    channel: Flags.string({ description: 'channel to use (0-based), or "mix" to average all', default: 'mix' }),
    raw: Flags.string({ description: 'headerless PCM as ENCODING:RATE:CHANNELS, e.g. s16le:16000:1' }),
  };

  async run(): Promise<VadCommandResult> {
    const { args, flags } = await this.parse(Vad);
    const hint = { exit: 1 as const };
    let settings;
    try {
      settings = resolveSegmenterSettings({
        sensitivity: flags.sensitivity as (typeof SENSITIVITIES)[number] | undefined,
        threshold: flags.threshold === undefined ? undefined : Number(flags.threshold),
        minSpeechMs: flags['min-speech-ms'],
        minSilenceMs: flags['min-silence-ms'],
        padMs: flags['pad-ms'],
        maxSegmentSec: flags['max-segment-sec'],
      });
    } catch (err) {
      this.error((err as Error).message, { ...hint, suggestions: ['see `earshot vad --help` for the ranges'] });
    }
    const channel = parseChannel(flags.channel);
    if (channel === null) this.error(`--channel: expected "mix" or a channel number from 0, got "${flags.channel}"`, hint);
    let raw: PcmFormat | undefined;
    if (flags.raw !== undefined) {
      raw = parseRaw(flags.raw) ?? undefined;
      if (!raw) {
        this.error(`--raw: expected ENCODING:RATE:CHANNELS, got "${flags.raw}"`, {
          ...hint,
          suggestions: [`encodings: ${PCM_ENCODINGS.join(', ')}; e.g. --raw s16le:16000:1`],
        });
      }
    }
    // Warnings (e.g. Silero falling back to energy) go to stderr so --json output stays clean.
    const logger = new LogSink({ level: 'warn', format: 'text', write: (line) => process.stderr.write(line + '\n') }).logger('vad');
    const detector = await createDetector(flags.detector as (typeof DETECTOR_NAMES)[number], logger);
    const segments: VadCommandResult['segments'] = [];
    let result;
    try {
      result = await detectFileSegments(args.file, {
        sourceId: 'cli',
        detector,
        settings,
        decode: { channel, raw },
        onSegment: (s) => {
          segments.push({ startSec: round(s.startSec), endSec: round(s.endSec), durationSec: round(s.endSec - s.startSec) });
        },
      });
    } catch (err) {
      this.error((err as Error).message, { ...hint, suggestions: ['check the file path and format; WAV, raw PCM (--raw) or, with ffmpeg installed, any container'] });
    } finally {
      await detector.close();
    }
    for (const s of segments) this.log(`${s.startSec.toFixed(3).padStart(10)}  ${s.endSec.toFixed(3).padStart(10)}  ${s.durationSec.toFixed(3).padStart(8)} s`);
    this.log(
      `${segments.length} segment(s), ${round(result.speechSec)} s of ${round(result.durationSec)} s kept (${(result.keptFraction * 100).toFixed(1)} %), detector ${detector.name}`,
    );
    return {
      file: args.file,
      detector: detector.name,
      durationSec: round(result.durationSec),
      speechSec: round(result.speechSec),
      keptFraction: Math.round(result.keptFraction * 10000) / 10000,
      segments,
    };
  }
}

function parseChannel(text: string): ChannelSelect | null {
  if (text === 'mix') return 'mix';
  return /^\d+$/.test(text) ? Number(text) : null;
}

function parseRaw(text: string): PcmFormat | null {
  const m = /^([a-z0-9]+):(\d+):(\d+)$/.exec(text);
  if (!m || !(PCM_ENCODINGS as readonly string[]).includes(m[1]!)) return null;
  const sampleRate = Number(m[2]);
  const channels = Number(m[3]);
  if (sampleRate < 1 || channels < 1) return null;
  return { encoding: m[1] as PcmEncoding, sampleRate, channels };
}
