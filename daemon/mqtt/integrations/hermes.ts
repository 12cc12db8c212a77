import type { TranscriptPayload } from '../payloads/transcript.js';
import type { HermesSession } from './hermes-sessions.js';

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

/**
 * A final transcript as Hermes' textCaptured: in the listening session it answers, when it
 * answers one (hermes-sessions.ts), with that session's ids; else as a session of its own.
 */
export function hermesTextCaptured(t: TranscriptPayload, session?: HermesSession): HermesTextCaptured {
  const confidences = t.tokens.map((k) => k.confidence).filter((c): c is number => typeof c === 'number');
  const likelihood = confidences.length > 0 ? confidences.reduce((a, b) => a + b, 0) / confidences.length : 1;
  return {
    text: t.text,
    likelihood: Math.round(likelihood * 1e4) / 1e4,
    seconds: Math.max(0, Math.round((t.endOffsetSec - t.startOffsetSec) * 1000) / 1000),
    siteId: session?.siteId ?? t.siteId,
    // Outside a session each transcript is its own: subscribers correlate on it as on our id.
    sessionId: session?.sessionId ?? t.id,
    wakewordId: session?.wakewordId ?? null,
    lang: t.language === 'und' ? (session?.lang ?? null) : t.language,
  };
}
