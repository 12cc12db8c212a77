/**
 * Tokenization for English ITN: words with their character offsets in the original text, cut
 * into clauses at punctuation so that no rewrite joins words across a comma or a full stop
 * ("one, two" stays two numbers).
 */

/** One word of the input: its lower-cased form for matching and where it sits in the text. */
export interface Token {
  /** Lower-cased word, used by the rules. */
  readonly word: string;
  /** Offset of the first character in the original text. */
  readonly start: number;
  /** Offset after the last character in the original text. */
  readonly end: number;
  /** Whether a hyphen joins it to the word before ("twenty-dollar"). */
  readonly hyphenated: boolean;
}

// Letters and digits, with one inner apostrophe ("o'clock", "it's"); hyphens split words so
// that "twenty-three" reads as "twenty three".
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Whether the text between two words keeps them in one clause. */
function joins(gap: string, left: string, right: string): boolean {
  if (/^\s*(?:-\s*)?$/.test(gap)) return true;
  // "a.m." and "p.m.": a dot between single letters is an abbreviation, not a full stop.
  return /^\.\s*$/.test(gap) && left.length === 1 && right.length === 1;
}

/** Split `text` into clauses of tokens. */
export function tokenize(text: string): Token[][] {
  const clauses: Token[][] = [];
  let clause: Token[] = [];
  let previous: Token | undefined;
  for (const m of text.matchAll(WORD)) {
    const gap = previous ? text.slice(previous.end, m.index) : '';
    const token: Token = { word: m[0].toLowerCase().replace('’', "'"), start: m.index, end: m.index + m[0].length, hyphenated: gap.includes('-') };
    if (previous && !joins(gap, previous.word, token.word)) {
      clauses.push(clause);
      clause = [];
    }
    // The closing dot of "p.m." belongs to the abbreviation, so a rewrite takes it along.
    const abbreviation = gap.startsWith('.') && token.word.length === 1 && clause.length > 0 && text[token.end] === '.';
    const kept = abbreviation ? { ...token, end: token.end + 1 } : token;
    clause.push(kept);
    previous = kept;
  }
  if (clause.length > 0) clauses.push(clause);
  return clauses;
}
