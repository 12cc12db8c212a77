/**
 * Hotword context graph: an Aho–Corasick automaton over token-id sequences, used to bias beam
 * search towards given phrases (the contextual-biasing approach published with icefall and
 * sherpa-onnx, "Fast and light-weight context biasing", Yao et al., ICASSP 2024; our own code).
 *
 * Each matched token of a phrase adds the phrase's boost to a hypothesis's score. When the next
 * token breaks the match, the hypothesis falls back along failure links to the longest suffix
 * that is still a phrase prefix and the bonus of the abandoned part is taken back, so a partial
 * match cannot push a hypothesis ahead for free. A completed phrase keeps its bonus.
 */
export interface ContextNode {
  readonly id: number;
  readonly depth: number;
  readonly children: Map<number, ContextNode>;
  /** Total bonus along the trie path from the root to this node. */
  score: number;
  /** Bonus already secured on this path: `score` of the deepest completed phrase at or above this node. */
  banked: number;
  isEnd: boolean;
  phrase: string | null;
  fail: ContextNode | null;
}

export interface ContextPhrase {
  tokens: readonly number[];
  /** Added per matched token. */
  boost: number;
  phrase: string;
}

export interface ContextGraphOptions {
  /**
   * Character vocabularies: phrases may only start after this word-separator token (or at the
   * start of the utterance), so "cat" is not matched inside "concatenate". The separator
   * itself earns no bonus.
   */
  wordSeparator?: number | null;
}

export interface ContextStep {
  state: ContextNode;
  /** Change of the hypothesis score; negative when a partial match is rolled back. */
  delta: number;
  /** Set when this step completed a phrase. */
  matched: string | null;
}

export class ContextGraph {
  readonly root: ContextNode;
  /** Where every hypothesis starts: the root, or just after a word separator. */
  readonly start: ContextNode;
  private nextId = 0;

  constructor(phrases: readonly ContextPhrase[], options: ContextGraphOptions = {}) {
    this.root = this.node(0);
    const sep = options.wordSeparator ?? null;
    for (const p of phrases) this.insert(sep === null ? p : { ...p, tokens: [sep, ...p.tokens] }, sep);
    this.link();
    this.start = sep === null ? this.root : (this.root.children.get(sep) ?? this.root);
  }

  get size(): number {
    return this.nextId;
  }

  private node(depth: number): ContextNode {
    return { id: this.nextId++, depth, children: new Map(), score: 0, banked: 0, isEnd: false, phrase: null, fail: null };
  }

  private insert(p: ContextPhrase, unboosted: number | null): void {
    if (p.tokens.length === 0) return;
    let node = this.root;
    p.tokens.forEach((tok, i) => {
      const boost = i === 0 && tok === unboosted ? 0 : p.boost;
      let child = node.children.get(tok);
      if (!child) {
        child = this.node(node.depth + 1);
        child.score = node.score + boost;
        node.children.set(tok, child);
      } else {
        // Shared prefix of two phrases: keep the larger boost.
        child.score = Math.max(child.score, node.score + boost);
      }
      node = child;
      if (i === p.tokens.length - 1) {
        node.isEnd = true;
        node.phrase = p.phrase;
      }
    });
  }

  /** Breadth-first: failure links (longest proper suffix that is a trie path) and banked scores. */
  private link(): void {
    const queue: ContextNode[] = [];
    this.root.fail = this.root;
    for (const child of this.root.children.values()) {
      child.fail = this.root;
      queue.push(child);
    }
    const setBanked = (n: ContextNode, parent: ContextNode) => (n.banked = n.isEnd ? n.score : parent.banked);
    for (const child of this.root.children.values()) setBanked(child, this.root);
    while (queue.length) {
      const node = queue.shift()!;
      for (const [tok, child] of node.children) {
        setBanked(child, node);
        let f = node.fail!;
        while (f !== this.root && !f.children.has(tok)) f = f.fail!;
        child.fail = f.children.get(tok) ?? this.root;
        if (child.fail === child) child.fail = this.root;
        queue.push(child);
      }
    }
  }

  /** Moves `state` by `token`. */
  step(state: ContextNode, token: number): ContextStep {
    let next = state.children.get(token);
    let delta: number;
    if (next) {
      delta = next.score - state.score;
    } else {
      // Roll back to the secured part, then re-enter the trie through the failure links.
      let f = state;
      while (f !== this.root && !f.children.has(token)) f = f.fail!;
      next = f.children.get(token) ?? this.root;
      delta = state.banked - state.score + next.score;
    }
    if (next.isEnd) {
      const matched = next.phrase;
      // A completed phrase with no longer continuation starts afresh; its bonus stays in the score.
      if (next.children.size === 0) return { state: this.root, delta, matched };
      return { state: next, delta, matched };
    }
    return { state: next, delta, matched: null };
  }

  /** At the end of the utterance an unfinished match gives its bonus back. */
  finish(state: ContextNode): number {
    return state.banked - state.score;
  }
}
