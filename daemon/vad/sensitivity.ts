import { schemaDefaults } from '../config/defaults.js';

/**
 * Segmenter settings and the named sensitivity levels operators pick from. A higher
 * sensitivity lowers the speech-probability threshold: more quiet speech is kept, and more
 * noise with it.
 */

export const SENSITIVITIES = ['low', 'medium', 'high'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

export interface SegmenterSettings {
  /** Probability at or above which a hop counts as speech (0..1). */
  threshold: number;
  /** Speech shorter than this (before padding) is dropped as a click or cough. */
  minSpeechMs: number;
  /** Silence must last this long to end a segment; shorter pauses stay inside it. */
  minSilenceMs: number;
  /** Audio kept before and after the detected speech, so ASR sees whole words. */
  padMs: number;
  /** Longer speech is split, at its quietest moment, into pieces no longer than this. */
  maxSegmentSec: number;
}

/** Thresholds per level; the medium value is the one Silero VAD is tuned for. */
export const SENSITIVITY_THRESHOLDS: Record<Sensitivity, number> = { low: 0.7, medium: 0.5, high: 0.3 };

export interface SegmenterSettingsInput {
  sensitivity?: Sensitivity;
  /** A raw threshold overrides the sensitivity level; null (the config default) means "use the level". */
  threshold?: number | null;
  minSpeechMs?: number;
  minSilenceMs?: number;
  padMs?: number;
  maxSegmentSec?: number;
}

/**
 * Fills in settings. Values not given come from the `vad` section of config.schema.json
 * (the daemon passes its validated config, already filled from the same schema).
 */
export function resolveSegmenterSettings(input: SegmenterSettingsInput = {}): SegmenterSettings {
  const defaults = schemaDefaults()['vad'] as Required<SegmenterSettingsInput>;
  const threshold = input.threshold ?? defaults.threshold;
  const settings: SegmenterSettings = {
    threshold: threshold ?? SENSITIVITY_THRESHOLDS[input.sensitivity ?? defaults.sensitivity],
    minSpeechMs: input.minSpeechMs ?? defaults.minSpeechMs,
    minSilenceMs: input.minSilenceMs ?? defaults.minSilenceMs,
    padMs: input.padMs ?? defaults.padMs,
    maxSegmentSec: input.maxSegmentSec ?? defaults.maxSegmentSec,
  };
  const problems: string[] = [];
  if (!(settings.threshold > 0 && settings.threshold < 1)) problems.push(`threshold must be between 0 and 1 (exclusive), got ${settings.threshold}`);
  for (const key of ['minSpeechMs', 'minSilenceMs', 'padMs'] as const) {
    if (!(settings[key] >= 0 && Number.isFinite(settings[key]))) problems.push(`${key} must be a number >= 0, got ${settings[key]}`);
  }
  if (!(settings.maxSegmentSec >= 1 && Number.isFinite(settings.maxSegmentSec))) problems.push(`maxSegmentSec must be at least 1, got ${settings.maxSegmentSec}`);
  if (problems.length > 0) throw new Error(`VAD settings: ${problems.join('; ')}`);
  return settings;
}
