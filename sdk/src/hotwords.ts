/** One phrase the ASR decoder should favour (a product name, a person, a place). */
export interface Hotword {
  /** The phrase as the model would spell it, e.g. `"earshot"` or `"深圳"`. */
  phrase: string;
  /**
   * How strongly to favour it: a log-score bonus per token added by the decoder's hotword
   * context. Typical values are 1.0 to 3.0; 0 means no bias, negative values discourage.
   */
  boost: number;
  /** BCP 47 language tag when the phrase only applies to one language; absent means any. */
  language?: string;
}

/**
 * A plugin kind that supplies hotwords to the ASR engine's decoder.
 *
 * The host calls {@link HotwordProvider.hotwords} once after start and again whenever the
 * plugin calls {@link PluginContext.hotwordsChanged} (e.g. after its list file changed).
 */
export interface HotwordProvider {
  /**
   * The current list of hotwords. Called by the host, not on the audio path, with a time
   * limit (host config `timeoutMs`); may be async.
   * @param language - when given, the host only needs phrases for this language (phrases
   *   with no `language` apply to every language); a provider may ignore it, the host filters.
   */
  hotwords(language?: string): readonly Hotword[] | Promise<readonly Hotword[]>;
}
