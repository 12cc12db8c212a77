import type { Logger } from '../../log/logger.js';
import { RepeatedFailures } from './repeated-failures.js';
import type { AudioSource } from './types.js';

export type SourceState = 'stopped' | 'running' | 'failed';

/** Delays between attempts to start a source that failed to: doubling, up to a minute. */
export const START_RETRY = { firstMs: 1000, maxMs: 60_000 };

interface Retry {
  attempt: number;
  timer?: NodeJS.Timeout;
  /** The attempt in progress, which stop() waits out. */
  running?: Promise<void>;
  failures: RepeatedFailures;
}

/**
 * Starts and stops a group of sources so that one bad source (a missing folder, a port in
 * use) is logged and marked failed while the others keep running. A source that failed to
 * start is tried again, a minute apart at most, for as long as the daemon runs: an appliance
 * left alone must pick up a share mounted late, a socket folder made after it started, or a
 * port another program let go, without a restart.
 */
export class SourceSet {
  private readonly states = new Map<string, { state: SourceState; error?: string; retryAt?: number }>();
  private readonly retries = new Map<string, Retry>();
  private stopping = false;

  constructor(
    private readonly sources: AudioSource[],
    private readonly logger: Logger,
    private readonly retry = START_RETRY,
  ) {
    const ids = new Set<string>();
    for (const s of sources) {
      if (ids.has(s.id)) throw new Error(`sources: id "${s.id}" is used twice; every source needs its own id`);
      ids.add(s.id);
    }
  }

  async start(): Promise<void> {
    this.stopping = false;
    await Promise.all(this.sources.map((source) => this.attempt(source, { attempt: 1, failures: new RepeatedFailures(1) })));
  }

  private attempt(source: AudioSource, retry: Retry): Promise<void> {
    this.retries.set(source.id, retry);
    retry.running = this.tryStart(source, retry).finally(() => {
      retry.running = undefined;
    });
    return retry.running;
  }

  private async tryStart(source: AudioSource, retry: Retry): Promise<void> {
    try {
      await source.start();
      this.states.set(source.id, { state: 'running' });
      this.retries.delete(source.id);
      if (retry.attempt > 1) this.logger.info('source started', { source: source.id, kind: source.kind, attempt: retry.attempt });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (this.stopping) {
        this.states.set(source.id, { state: 'failed', error });
        return;
      }
      const delayMs = Math.min(this.retry.firstMs * 2 ** (retry.attempt - 1), this.retry.maxMs);
      this.states.set(source.id, { state: 'failed', error, retryAt: Date.now() + delayMs });
      // The same error again is logged once a minute, with how many went unlogged.
      const { log, unlogged } = retry.failures.take(error);
      if (log) {
        const message = retry.attempt === 1 ? 'source failed to start; the other sources keep running' : 'source still cannot start';
        this.logger.error(message, { source: source.id, kind: source.kind, error, attempt: retry.attempt, retryInMs: delayMs, ...(unlogged > 0 ? { unloggedAttempts: unlogged } : {}) });
      }
      retry.timer = setTimeout(() => {
        retry.timer = undefined;
        void this.attempt(source, { ...retry, attempt: retry.attempt + 1 });
      }, delayMs);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const pending = [...this.retries.values()];
    this.retries.clear();
    for (const retry of pending) clearTimeout(retry.timer);
    // A start in progress finishes first, so that the source is not left up after the stop.
    await Promise.all(pending.map((retry) => retry.running));
    await Promise.all(
      this.sources.map(async (source) => {
        try {
          await source.stop();
        } catch (err) {
          this.logger.warn('source did not stop cleanly', { source: source.id, error: err instanceof Error ? err.message : String(err) });
        }
        this.states.set(source.id, { state: 'stopped' });
      }),
    );
  }

  /** Recordings waiting in the sources' folders, all together (see AudioSource.recordingsWaiting). */
  async recordingsWaiting(): Promise<number> {
    const counts = await Promise.all(this.sources.map((s) => s.recordingsWaiting?.() ?? 0));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Per-source state, for `earshot status`: a failed source says why, and when it is tried next. */
  status(): Array<{ id: string; kind: AudioSource['kind']; state: SourceState; error?: string; retryInSec?: number; detail?: string; problem?: string }> {
    return this.sources.map((s) => {
      const { retryAt, ...state } = this.states.get(s.id) ?? { state: 'stopped' as const };
      const detail = s.detail?.();
      const problem = state.state === 'running' ? s.problem?.() : undefined;
      return { id: s.id, kind: s.kind, ...state, ...(retryAt !== undefined ? { retryInSec: Math.max(0, Math.ceil((retryAt - Date.now()) / 1000)) } : {}), ...(detail ? { detail } : {}), ...(problem ? { problem } : {}) };
    });
  }
}
