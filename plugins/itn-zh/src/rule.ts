/** The shape every Chinese ITN rule has. */

/** The categories of the test suite; each rule belongs to one. */
export type Category =
  | 'cardinal' | 'ordinal' | 'decimal' | 'fraction' | 'money' | 'percent'
  | 'date' | 'time' | 'measure' | 'telephone';

/** A rewrite of the characters `[i, end)`. */
export interface RuleMatch {
  /** Index after the last character rewritten. */
  end: number;
  /** The written form. */
  text: string;
  /** The category when it is not the rule's own (a range takes its unit's: "3到5公里"). */
  category?: Category;
}

/**
 * A rule recognizes one category of spoken form starting at character `i`. The normalizer
 * only asks at positions where no numeral run is under way, so a rule always sees a number
 * from its first character.
 */
export interface Rule {
  readonly category: Category;
  match(text: string, i: number): RuleMatch | null;
}
