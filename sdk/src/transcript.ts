/**
 * The transcript shapes a plugin sees. They are plain objects, independent of the ASR engine
 * and of the MQTT payload, so that the engine and the payload may change without breaking plugins.
 */

/** One recognized word (or, for Chinese and Japanese, usually one character) with its time span. */
export interface TimedWord {
  /** The word as written, without surrounding spaces. */
  text: string;
  /** Start time in seconds from the start of the segment. */
  start: number;
  /** End time in seconds from the start of the segment; `end >= start`. */
  end: number;
  /** Model confidence in [0, 1] when the model reports one. */
  confidence?: number;
}

/** Where a transcript came from; for logs and for plugins that behave per source. */
export interface SegmentInfo {
  /** The audio source id from the daemon config (e.g. `"lobby-mic"`). */
  sourceId?: string;
  /** The daemon's id of this speech segment (job id). */
  segmentId?: string;
  /** Segment start, seconds since the Unix epoch, when known. */
  startedAt?: number;
  /** Segment duration in seconds, when known. */
  duration?: number;
}

/**
 * The input of a {@link TextNormalizer} or a {@link TranscriptFilter}: the transcript as the
 * previous plugin in the chain left it.
 */
export interface TranscriptInput {
  /** The full text of the segment. */
  readonly text: string;
  /**
   * The words of `text` with their timestamps, in order. Empty when the model gives no
   * timestamps and on live partials; a plugin must then work on `text` alone.
   */
  readonly words: readonly TimedWord[];
  /** BCP 47 language tag of the transcript (`"en"`, `"zh"`), when the model or config knows it. */
  readonly language?: string;
  /** Where the transcript came from. */
  readonly segment?: SegmentInfo;
}

/**
 * What a {@link TextNormalizer} or a {@link TranscriptFilter} returns.
 *
 * Return `words` when the plugin knows which input words each output word came from (use
 * {@link applyWordEdits} for that). Leave `words` out and the host realigns the timestamps
 * itself with {@link realignWords}: unchanged words keep their times and each rewritten
 * stretch gets the time span of the words it replaced.
 */
export interface TranscriptOutput {
  /** The new text. Return the input text unchanged when there is nothing to do. */
  text: string;
  /** The words of the new text with timestamps aligned to the input; optional, see above. */
  words?: TimedWord[];
}
