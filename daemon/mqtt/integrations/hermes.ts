import type { TranscriptPayload } from '../payloads/transcript.js';

/** Rhasspy Hermes topic for a finished transcription (https://rhasspy.readthedocs.io/en/latest/reference/#asr_textcaptured). */
export const HERMES_TEXT_CAPTURED = 'hermes/asr/textCaptured';

export interface HermesTextCaptured {
  text: string;
  /** Mean token confidence when the model gives one; 1 otherwise (as Rhasspy's own ASRs do). */
  likelihood: number;
  /** Seconds of audio transcribed. */
  seconds: number;
  siteId: string;
  sessionId: string | null;
  wakewordId: string | null;
  lang: string | null;
}

export function hermesTextCaptured(t: TranscriptPayload): HermesTextCaptured {
  const confidences = t.tokens.map((k) => k.confidence).filter((c): c is number => typeof c === 'number');
  const likelihood = confidences.length > 0 ? confidences.reduce((a, b) => a + b, 0) / confidences.length : 1;
  return {
    text: t.text,
    likelihood: Math.round(likelihood * 1e4) / 1e4,
    seconds: Math.max(0, Math.round((t.endOffsetSec - t.startOffsetSec) * 1000) / 1000),
    siteId: t.siteId,
    // Each transcript is its own Hermes session: subscribers correlate on it as on our id.
    sessionId: t.id,
    wakewordId: null,
    lang: t.language === 'und' ? null : t.language,
  };
}
