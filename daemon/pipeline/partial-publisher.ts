/**
 * Live partial transcripts: while someone is still speaking on a live source, re-decode the
 * speech heard so far every `intervalMs` and publish the running text on
 * `earshot/<site>/partial/<sourceId>` (QoS 0). The final transcript still comes through the
 * job queue as before; each partial names the id that final will carry, so a subscriber
 * replaces the partials of a speech by its final.
 *
 * Partials are an extra, never a cost to the finals: a tick is skipped while the model is
 * not loaded, while the scheduler holds work back, while more than `maxPendingLive` live
 * segments wait for their final, and while the previous partial decode still runs (ticks
 * never queue up). Speech on a live source starts loading an unloaded model (its final will
 * need it in a moment anyway), unless the scheduler holds work back. The decode re-uses the model's own stream
 * (`LoadedModel.createStream`: simulated streaming with a stable prefix for offline models,
 * daemon/asr/streaming/simulated-stream.ts), fed only the audio that arrived since the last tick.
 * Each partial goes through the normalizers and filters the final will (partial-text.ts); a
 * partial the plugins could not all run on is not published, never published unfiltered.
 */
import type { AsrStream, StreamOptions } from '../asr/types.js';
import { MODEL_SAMPLE_RATE } from '../audio/types.js';
import type { Logger } from '../log/logger.js';
import { RateLimit } from '../log/rate-limit.js';
import { PAYLOAD_VERSION } from '../mqtt/payloads/status.js';
import type { PartialPayload } from '../mqtt/payloads/partial.js';
import { transcriptId } from '../mqtt/payloads/transcript.js';
import type { Service } from '../service.js';
import type { OpenSpeech } from '../vad/segmenter.js';
import { transcriptLanguage } from './transcript-language.js';
import { newPartialTextState, partialText, type PartialPlugins, type PartialTextState } from './partial-text.js';

/** The `partials` config section (config.schema.json holds the defaults). */
export interface PartialsConfig {
  enabled: boolean;
  /** How often the open speech is re-decoded, ms. */
  intervalMs: number;
  /** Speech shorter than this gets no partial (too little to say anything). */
  minSpeechMs: number;
  /** Partials pause while more than this many live segments wait for their final transcript. */
  maxPendingLive: number;
}

/** The model as partials see it. */
export interface PartialModel {
  loaded(): boolean;
  /** Loads the model the way a job would (through the model lifecycle). */
  load(reason: string): Promise<void>;
  /** A live stream on the loaded model; throws when it is not loaded. */
  createStream(options?: StreamOptions): AsrStream;
  /** The loaded model's card languages (transcriptLanguage); undefined while none is loaded. */
  languages?(): readonly string[] | undefined;
}

/**
 * The model lifecycle and the ASR runtime as one PartialModel: loads go through the
 * lifecycle (serialized with unloads), streams come from the runtime, which releases the
 * model only after the partial decodes running on it.
 */
export function partialModelOf(
  lifecycle: { readonly state: string; ensureLoaded(reason: string): Promise<void> },
  runtime: { loaded(): boolean; createStream(options?: StreamOptions): AsrStream; loadedModelLanguages(): readonly string[] | undefined },
): PartialModel {
  return {
    languages: () => runtime.loadedModelLanguages(),
    loaded: () => lifecycle.state === 'loaded' && runtime.loaded(),
    load: (reason) => lifecycle.ensureLoaded(reason),
    createStream: (options) => runtime.createStream(options),
  };
}

export interface PartialSink {
  publishPartial(p: PartialPayload): void;
}

export interface PartialPublisherOptions {
  siteId: string;
  /** Absent (the section is not in the config) means partials are off. */
  config: PartialsConfig | undefined;
  /** The speech open right now on each live source (LiveVad.openSpeech). */
  openSpeech: () => OpenSpeech[];
  model: PartialModel;
  /** Live segments queued and not yet running. */
  pendingLive: () => number;
  /** True while the scheduler holds work back (thermal or power limit). */
  paused: () => boolean;
  /** The plugin host: partials get the finals' normalizers and filters. */
  plugins: PartialPlugins;
  sink: PartialSink;
  logger: Logger;
}

/** One open speech being followed: its stream and how much of its audio the stream has. */
interface Followed {
  speechId: string;
  startSec: number;
  stream: AsrStream;
  fed: number;
  lastText: string;
  /** What the plugins made of its partials so far (stable prefix kept growing). */
  text: PartialTextState;
}

export class PartialPublisher implements Service {
  readonly name = 'partials';
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private readonly followed = new Map<string, Followed>();
  private loading: Promise<void> | undefined;
  private published = 0;
  private skippedBusy = 0;
  private withheld = 0;
  /** A failing plugin fails on every partial (several a second): one line a minute says so. */
  private readonly withheldLog = new RateLimit(1 / 60, 1);

  constructor(private readonly options: PartialPublisherOptions) {}

  get enabled(): boolean {
    return this.options.config?.enabled === true;
  }

  async start(): Promise<void> {
    const config = this.options.config;
    if (!config?.enabled) {
      this.options.logger.debug(config ? 'partials disabled in config' : 'no partials section in the config; partials off');
      return;
    }
    this.timer = setInterval(() => this.tick(), config.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // A decode in flight holds the model; let it finish before the model may be unloaded.
    await this.inflight;
    await this.loading;
    this.followed.clear();
  }

  state(): { state: string; detail?: string } {
    if (!this.enabled) return { state: 'disabled', detail: this.options.config ? 'partials.enabled is false' : 'no partials section in the config' };
    return { state: this.timer ? 'running' : 'stopped', detail: `${this.published} published, ${this.withheld} withheld (the plugins could not run or left nothing), ${this.skippedBusy} ticks skipped while a decode ran` };
  }

  /** One interval: start a round of partial decodes unless one is still running. */
  private tick(): void {
    if (this.inflight) {
      this.skippedBusy++;
      return;
    }
    const round = this.round().catch((err: unknown) => this.options.logger.warn('partial decode failed', { err }));
    this.inflight = round.finally(() => (this.inflight = undefined));
  }

  private async round(): Promise<void> {
    const { model, logger } = this.options;
    const open = this.options.openSpeech();
    // A speech that closed has its final on the way through the queue: stop following it.
    const openIds = new Set(open.map((s) => s.id));
    for (const [sourceId, f] of this.followed) if (!openIds.has(f.speechId)) this.followed.delete(sourceId);
    if (open.length === 0) return;
    if (!model.loaded() || this.options.paused()) {
      // The model may come back as a new instance; streams on the old one are dead.
      this.followed.clear();
      if (!model.loaded() && !this.options.paused()) this.startLoading();
      return;
    }
    const pending = this.options.pendingLive();
    if (pending > this.options.config!.maxPendingLive) {
      logger.debug(() => `partials wait: ${pending} live segments queued`);
      return;
    }
    for (const speech of open) {
      try {
        await this.decode(speech);
      } catch (err) {
        // Most likely the model was unloaded mid-decode; the next tick starts afresh.
        this.followed.delete(speech.sourceId);
        logger.debug('partial decode failed', { source: speech.sourceId, err });
      }
    }
  }

  /** One load at a time; the tick after it finishes decodes. */
  private startLoading(): void {
    if (this.loading) return;
    this.loading = this.options.model
      .load('live speech')
      .catch((err: unknown) => this.options.logger.warn('could not load the model for live speech', { err }))
      .finally(() => (this.loading = undefined));
  }

  private async decode(speech: OpenSpeech): Promise<void> {
    const { siteId, config, model, sink } = this.options;
    if ((speech.length * 1000) / MODEL_SAMPLE_RATE < config!.minSpeechMs) return;
    let f = this.followed.get(speech.sourceId);
    if (!f || f.speechId !== speech.id || f.startSec !== speech.startSec) {
      f = { speechId: speech.id, startSec: speech.startSec, stream: model.createStream({ endpointSilenceSec: 0 }), fed: 0, lastText: '', text: newPartialTextState() };
      this.followed.set(speech.sourceId, f);
    }
    // Only the audio that arrived since the last tick is copied.
    f.stream.accept(speech.copyFrom(f.fed));
    f.fed = speech.length;
    const partial = await f.stream.partial();
    if (partial.text === '' || partial.text === f.lastText) return;
    f.lastText = partial.text;
    // A live segment is one job whose only transcript has index 0 (job-processor.ts), and
    // the job id is the speech id (capture-service.ts): this is the final's `id`.
    const key = `${speech.id}#0`;
    const out = await partialText(this.options.plugins, partial, f.text, {
      // What the final will be in: the language the model tagged (SenseVoice), else its card's.
      language: transcriptLanguage(partial.language, model.languages?.()),
      segment: { sourceId: speech.sourceId, segmentId: key },
    });
    if (!out.ok) {
      this.withheld++;
      if (this.withheldLog.take()) {
        const since = this.withheldLog.takeDropped();
        this.options.logger.warn(`partial not published: ${out.reason}${since > 0 ? ` (and ${since} more since the last such line)` : ''}`, { source: speech.sourceId });
      }
      return;
    }
    // The speech may have closed during the decode; its final is then on its way, and a
    // partial published after it would show stale text over it.
    if (!this.options.openSpeech().some((s) => s.id === speech.id)) return;
    sink.publishPartial({
      v: PAYLOAD_VERSION,
      siteId,
      sourceId: speech.sourceId,
      segmentId: transcriptId(siteId, speech.sourceId, key),
      text: out.text,
      stable: out.stable,
      startOffsetSec: speech.startSec,
      ts: new Date().toISOString(),
    });
    this.published++;
  }
}
