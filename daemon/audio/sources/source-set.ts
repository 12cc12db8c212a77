import type { Logger } from '../../log/logger.js';
import type { AudioSource } from './types.js';

export type SourceState = 'stopped' | 'running' | 'failed';

/**
 * Starts and stops a group of sources so that one bad source (a missing folder, a port in
 * use) is logged and marked failed while the others keep running.
 */
export class SourceSet {
  private readonly states = new Map<string, { state: SourceState; error?: string }>();

  constructor(
    private readonly sources: AudioSource[],
    private readonly logger: Logger,
  ) {
    const ids = new Set<string>();
    for (const s of sources) {
      if (ids.has(s.id)) throw new Error(`sources: id "${s.id}" is used twice; every source needs its own id`);
      ids.add(s.id);
    }
  }

  async start(): Promise<void> {
    await Promise.all(
      this.sources.map(async (source) => {
        try {
          await source.start();
          this.states.set(source.id, { state: 'running' });
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          this.states.set(source.id, { state: 'failed', error });
          this.logger.error('source failed to start; the other sources keep running', { source: source.id, kind: source.kind, error });
        }
      }),
    );
  }

  async stop(): Promise<void> {
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

  /** Per-source state, for `earshot status`. */
  status(): Array<{ id: string; kind: AudioSource['kind']; state: SourceState; error?: string }> {
    return this.sources.map((s) => ({ id: s.id, kind: s.kind, ...(this.states.get(s.id) ?? { state: 'stopped' as const }) }));
  }
}
