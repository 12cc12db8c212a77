/**
 * Simulated streaming for offline models: live sources push audio as it arrives, and each
 * `partial()` re-decodes the growing window so listeners see text before the segment ends.
 *
 * Words that two consecutive decodes agree on become the stable prefix; it only grows, so a
 * partial never takes back text it already showed as stable. When the window grows past
 * `maxWindowSec`, the stable words are committed and the audio they cover is dropped, which
 * bounds the cost of each re-decode. `finish()` (VAD end of speech, or an endpoint) gives the
 * final result. Endpoint rule: speech was heard and then `endpointSilenceSec` passed without a
 * new token (the trailing-silence rule of sherpa-onnx's online endpointing).
 */
import { StablePrefix } from './stable-prefix.js';
import type { AsrResult, AsrStream, AsrWord, LoadedModel, PartialTranscript, TranscribeOptions } from '../types.js';

export type { PartialTranscript };

export interface SimulatedStreamOptions {
  /** Longest audio re-decoded per partial before stable words are committed (default 20 s). */
  maxWindowSec?: number;
  /** Trailing silence after speech that counts as an endpoint (default 1.2 s); 0 disables. */
  endpointSilenceSec?: number;
  transcribe?: TranscribeOptions;
}

export class SimulatedStream implements AsrStream {
  private buffer: Float32Array = new Float32Array(0);
  private length = 0;
  /** Seconds of audio already committed and dropped from the buffer. */
  private offsetSec = 0;
  private committed: AsrWord[] = [];
  private readonly prefix = new StablePrefix();

  constructor(
    private readonly model: LoadedModel,
    private readonly options: SimulatedStreamOptions = {},
  ) {}

  /** Appends mono samples at the model's rate. */
  accept(samples: Float32Array): void {
    if (this.length + samples.length > this.buffer.length) {
      const grown = new Float32Array(Math.max(this.buffer.length * 2, this.length + samples.length, 16000));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(samples, this.length);
    this.length += samples.length;
  }

  get durationSec(): number {
    return this.offsetSec + this.length / this.model.sampleRate;
  }

  async partial(): Promise<PartialTranscript> {
    const result = await this.decode();
    const [stableNow, unstableWords] = this.prefix.update(this.shift(result.words));
    const stableWords = [...this.committed, ...stableNow];
    const stable = stableWords.map((w) => w.word).join(' ');
    const unstable = unstableWords.map((w) => w.word).join(' ');
    const partial: PartialTranscript = {
      text: [stable, unstable].filter(Boolean).join(' '),
      stable,
      unstable,
      words: [...stableWords, ...unstableWords],
      endpoint: this.isEndpoint(result),
      durationSec: this.durationSec,
      ...(result.language !== undefined ? { language: result.language } : {}),
    };
    this.commitIfLong();
    return partial;
  }

  /** Final result for everything accepted since the last finish(); resets the stream. */
  async finish(): Promise<AsrResult> {
    const result = await this.decode();
    const words = [...this.committed, ...this.shift(result.words)];
    const final: AsrResult = {
      ...result,
      text: [this.committed.map((w) => w.word).join(' '), result.text].filter(Boolean).join(' '),
      words,
      tokens: result.tokens.map((t) => ({ ...t, startSec: t.startSec + this.offsetSec })),
      durationSec: this.durationSec,
    };
    this.buffer = new Float32Array(0);
    this.length = 0;
    this.offsetSec = 0;
    this.committed = [];
    this.prefix.reset();
    return final;
  }

  private decode(): Promise<AsrResult> {
    return this.model.transcribe(this.buffer.subarray(0, this.length), this.options.transcribe);
  }

  private shift(words: AsrWord[]): AsrWord[] {
    const o = this.offsetSec;
    return words.map((w) => ({ word: w.word, startSec: w.startSec + o, endSec: w.endSec + o }));
  }

  private isEndpoint(result: AsrResult): boolean {
    const rule = this.options.endpointSilenceSec ?? 1.2;
    if (rule <= 0 || result.tokens.length === 0) return false;
    const lastToken = result.tokens[result.tokens.length - 1]!.startSec;
    return result.durationSec - lastToken >= rule;
  }

  /** Commits stable words and drops their audio once the window is longer than maxWindowSec. */
  private commitIfLong(): void {
    const maxWindow = this.options.maxWindowSec ?? 20;
    const stable = this.prefix.words;
    if (this.length / this.model.sampleRate <= maxWindow || stable.length < 2) return;
    // Keep the last stable word in the window: its end time is the least certain.
    const keep = stable.length - 1;
    const cutSec = stable[keep]!.startSec;
    const cut = Math.floor((cutSec - this.offsetSec) * this.model.sampleRate);
    if (cut <= 0) return;
    this.committed.push(...stable.slice(0, keep));
    this.buffer.copyWithin(0, cut, this.length);
    this.length -= cut;
    this.offsetSec = cutSec;
    this.prefix.reset();
  }
}
