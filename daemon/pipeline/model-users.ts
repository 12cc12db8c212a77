import type { LoadedModel } from '../asr/types.js';

/** Thrown to an operation asked of a model that was replaced or unloaded meanwhile. */
export class ModelRetiredError extends Error {
  constructor(readonly modelId: string) {
    super(`the ASR model ${modelId} this was begun on is released (unloaded, or loaded again with other threads); start again on the model loaded now`);
    this.name = 'ModelRetiredError';
  }
}

/**
 * One loaded model and the operations running on it (a batch transcription, a live
 * partial decode). A model loaded again with other threads is retired: no new operation
 * starts on it, and it is released once the last one running has finished. onnxruntime
 * frees a session's memory at release, so a release under a running inference is never
 * allowed, and one that waited for the model to be idle must not let a new run slip in.
 */
export class ModelUsers {
  private active = 0;
  private retiring = false;
  private idle: (() => void) | undefined;
  private released: Promise<void> | undefined;

  constructor(readonly model: LoadedModel) {}

  /** Runs `op` on the model; refused at once when the model is being retired. */
  async use<T>(op: (model: LoadedModel) => Promise<T>): Promise<T> {
    if (this.retiring) throw new ModelRetiredError(this.model.id);
    this.active++;
    try {
      return await op(this.model);
    } finally {
      this.active--;
      if (this.active === 0) this.idle?.();
    }
  }

  /** Stops new operations and releases the model after those running; safe to call twice. */
  retire(): Promise<void> {
    this.retiring = true;
    this.released ??= new Promise<void>((resolve) => {
      if (this.active === 0) resolve();
      else this.idle = resolve;
    }).then(() => this.model.release());
    return this.released;
  }
}
