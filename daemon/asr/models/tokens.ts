/**
 * tokens.txt: one `<symbol> <id>` per line (a line with only an id is the space symbol), read
 * the way sherpa-onnx's SymbolTable reads it, plus the text rules it applies to decoded ids:
 * a leading `▁` becomes a space, `<0xNN>` byte-fallback pieces become raw bytes.
 */
import { readFileSync } from 'node:fs';
import { decodeByteBpe, isByteBpeVocabulary } from './byte-bpe.js';

const WORD_START = '\u2581';

export class TokenTable {
  readonly idToSymbol: Map<number, string>;
  readonly symbolToId: Map<string, number>;
  readonly blankId: number;
  readonly size: number;
  private readonly byteFallbackBase: number | null;
  /** Byte-level BPE (icefall bbpe): symbols spell bytes; text is decoded from them. */
  readonly byteLevel: boolean;
  /**
   * The lone token between words in character vocabularies (NeMo char models: `▁` or ' '),
   * or null for BPE vocabularies, which glue `▁` to the first piece of each word.
   */
  readonly wordSeparator: number | null;

  constructor(idToSymbol: Map<number, string>, symbolToId: Map<string, number>) {
    this.idToSymbol = idToSymbol;
    this.symbolToId = symbolToId;
    this.size = idToSymbol.size;
    // Same precedence as sherpa-onnx's CTC recognizer.
    this.blankId = symbolToId.get('<blk>') ?? symbolToId.get('<eps>') ?? symbolToId.get('<blank>') ?? 0;
    const b0 = symbolToId.get('<0x00>');
    const bff = symbolToId.get('<0xFF>');
    this.byteFallbackBase = b0 !== undefined && bff !== undefined && bff - b0 === 255 ? b0 : null;
    this.byteLevel = isByteBpeVocabulary(symbolToId.keys());
    const glued = [...symbolToId.keys()].some((k) => k.startsWith(WORD_START) && k.length > 1);
    this.wordSeparator = glued ? null : (symbolToId.get(WORD_START) ?? symbolToId.get(' ') ?? null);
  }

  static parse(text: string, where: string): TokenTable {
    const idToSymbol = new Map<number, string>();
    const symbolToId = new Map<string, number>();
    const lines = text.split('\n');
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '') return;
      const parts = line.split(/\s+/);
      let sym: string;
      let idText: string;
      if (parts.length === 1) {
        sym = ' ';
        idText = parts[0]!;
      } else if (parts.length === 2) {
        [sym, idText] = parts as [string, string];
      } else {
        throw new Error(`${where}:${i + 1}: expected '<symbol> <id>', got ${JSON.stringify(raw)}`);
      }
      const id = Number(idText);
      if (!Number.isInteger(id) || id < 0) throw new Error(`${where}:${i + 1}: id ${JSON.stringify(idText)} is not a non-negative integer`);
      if (symbolToId.has(sym)) throw new Error(`${where}:${i + 1}: duplicate symbol ${JSON.stringify(sym)} (first id ${symbolToId.get(sym)})`);
      idToSymbol.set(id, sym);
      symbolToId.set(sym, id);
    });
    if (idToSymbol.size === 0) throw new Error(`${where}: no tokens; the file is empty`);
    return new TokenTable(idToSymbol, symbolToId);
  }

  static read(path: string): TokenTable {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`${path}: cannot read tokens (${(err as Error).message})`);
    }
    return TokenTable.parse(text, path);
  }

  /** The symbol as it appears in text: `▁x` → ` x`, `<0x41>` → 'A' for byte-fallback vocabularies. */
  display(id: number): string {
    let sym = this.idToSymbol.get(id);
    if (sym === undefined) throw new Error(`token id ${id} is not in tokens.txt (${this.size} symbols); the model and tokens.txt do not match`);
    // Byte-level vocabularies keep ▁ (sherpa-onnx does not rewrite it for them).
    if (sym.startsWith(WORD_START) && !this.byteLevel) sym = ' ' + sym.slice(1);
    if (this.byteFallbackBase !== null && /^<0x[0-9A-F]{2}>$/.test(sym)) sym = String.fromCharCode(id - this.byteFallbackBase);
    return sym;
  }

  /** Joins decoded ids into text: concatenation, then one leading space dropped (sherpa-onnx Convert). */
  text(ids: readonly number[]): string {
    if (this.byteLevel) {
      const text = decodeByteBpe(ids.map((id) => this.display(id)).join(''));
      return text.startsWith(' ') ? text.slice(1) : text;
    }
    let bytes: number[] | null = null;
    let out = '';
    for (const id of ids) {
      const s = this.display(id);
      if (this.byteFallbackBase !== null && s.length === 1 && this.idToSymbol.get(id)!.startsWith('<0x')) {
        (bytes ??= []).push(s.charCodeAt(0));
        continue;
      }
      if (bytes) {
        out += Buffer.from(bytes).toString('utf8');
        bytes = null;
      }
      out += s;
    }
    if (bytes) out += Buffer.from(bytes).toString('utf8');
    return out.startsWith(' ') ? out.slice(1) : out;
  }

  /**
   * Token ids for a phrase (for hotwords): words get a `▁` prefix when the vocabulary marks word
   * starts, then each word is split greedily into the longest known pieces. Returns null when
   * some character has no token.
   */
  encode(phrase: string): number[] | null {
    const words = phrase.trim().split(/\s+/).filter(Boolean);
    const separator = this.wordSeparator;
    const ids: number[] = [];
    for (const word of words) {
      let rest = word;
      if (separator === null) rest = WORD_START + rest;
      else if (ids.length) ids.push(separator);
      while (rest.length) {
        let len = rest.length;
        while (len > 0 && !this.symbolToId.has(rest.slice(0, len))) len--;
        if (len === 0) {
          const lower = rest.toLowerCase();
          if (lower !== rest) {
            rest = lower;
            continue;
          }
          return null;
        }
        ids.push(this.symbolToId.get(rest.slice(0, len))!);
        rest = rest.slice(len);
      }
    }
    return ids;
  }
}
