/**
 * The part of a live hypothesis that will not change: the words two consecutive decodes agree
 * on. It only grows, so a caption never takes back text it already showed as stable.
 */
import type { AsrWord } from '../types.js';

export class StablePrefix {
  private stable: AsrWord[] = [];
  private previous: AsrWord[] = [];

  /** Feeds the newest hypothesis; returns [stable words, unstable words]. */
  update(words: AsrWord[]): [AsrWord[], AsrWord[]] {
    let agree = 0;
    while (agree < words.length && agree < this.previous.length && words[agree]!.word === this.previous[agree]!.word) agree++;
    if (agree > this.stable.length) this.stable = words.slice(0, agree);
    this.previous = words;
    return [this.stable, words.slice(this.stable.length)];
  }

  get words(): readonly AsrWord[] {
    return this.stable;
  }

  reset(): void {
    this.stable = [];
    this.previous = [];
  }
}
