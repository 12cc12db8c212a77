/**
 * The language a transcript is in, for its payload and for the plugins that run on it
 * (itn-zh runs on `zh` only, itn-en on `en` only). SenseVoice tags each result; other models
 * say nothing, and their model.json card names what they were trained on. A model without a
 * card is taken as English, what the default model and most single-language packs are.
 */
export const UNTAGGED_LANGUAGE = 'en';

export function transcriptLanguage(tagged: string | undefined, modelLanguages: readonly string[] | undefined): string {
  return tagged ?? modelLanguages?.[0] ?? UNTAGGED_LANGUAGE;
}
