/** The shape every English ITN rule has. */

/** How dates are written. */
export type DateFormat = 'MDY' | 'DMY' | 'ISO';

/** Options of the English normalizer (the plugin's config). */
export interface EnglishItnOptions {
  /** "MDY": "March 1, 2025" (default); "DMY": "1 March 2025"; "ISO": "2025-03-01". */
  dateFormat: DateFormat;
}

/** The categories of the test suites; each rule belongs to one. */
export type Category =
  | 'cardinal' | 'ordinal' | 'decimal' | 'fraction' | 'money' | 'percent'
  | 'date' | 'time' | 'measure' | 'telephone';

/** A rewrite of the words `[start, end)` of a clause. */
export interface RuleMatch {
  /** Index after the last word rewritten. */
  end: number;
  /** The written form. */
  text: string;
  /** The category when it is not the rule's own (a range takes its unit's: "10 to 15%"). */
  category?: Category;
}

/** A rule recognizes one category of spoken form starting at a given word. */
export interface Rule {
  readonly category: Category;
  /** The rewrite of the words starting at `i`, or null when they are not this category. */
  match(words: readonly string[], i: number, options: EnglishItnOptions): RuleMatch | null;
}
