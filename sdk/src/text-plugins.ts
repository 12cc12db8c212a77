import type { TranscriptInput, TranscriptOutput } from './transcript.js';

/**
 * A plugin kind for inverse text normalization (ITN) and similar rewrites: it turns spoken
 * forms into written ones ("twenty three dollars fifty" → "$23.50") and keeps the word
 * timestamps aligned.
 *
 * Normalizers run on every final transcript and on live partials (the running text of speech
 * not yet finished, several times a second, with empty `words`), in the order the daemon
 * config gives, each on the output of the previous one, with a time limit per call (200 ms by
 * default). A normalizer must leave text it does not understand exactly as it is ("one of the
 * best" stays), and work on a sentence cut short.
 */
export interface TextNormalizer {
  /**
   * Languages this normalizer handles (BCP 47 primary tags such as `"en"`, `"zh"`). The host
   * skips it for transcripts in other languages. Absent means every language; a transcript
   * without a language goes through every normalizer.
   */
  readonly languages?: readonly string[];
  /** Rewrite one transcript. May be async; must not keep references to `input`. */
  normalize(input: TranscriptInput): TranscriptOutput | Promise<TranscriptOutput>;
}

/**
 * A plugin kind that edits a transcript after all normalizers ran, e.g. redacting card
 * numbers or names before the transcript leaves the box. Same contract as
 * {@link TextNormalizer}; filters run after every normalizer, in config order.
 */
export interface TranscriptFilter {
  /** Languages this filter handles; absent means every language. */
  readonly languages?: readonly string[];
  /** Edit one transcript. May be async. */
  filter(input: TranscriptInput): TranscriptOutput | Promise<TranscriptOutput>;
}
