import type { VoiceDetector } from './types.js';

/**
 * One detector kept for the recordings a spool source reads one after another, reset before
 * each. Loading Silero's ONNX session takes about 150 ms of CPU, more than the whole VAD pass
 * of a short call recording: a folder of hundreds of them paid it once per file.
 */
export class KeptDetector {
  private detector: Promise<VoiceDetector> | undefined;

  constructor(private readonly make: () => Promise<VoiceDetector>) {}

  /** The detector, made at the first call, with no state left from the recording before. */
  async take(): Promise<VoiceDetector> {
    this.detector ??= this.make();
    const made = this.detector;
    try {
      const detector = await made;
      detector.reset();
      return detector;
    } catch (err) {
      // Not kept: the next recording tries to make one again.
      if (this.detector === made) this.detector = undefined;
      throw err;
    }
  }

  /** Frees the detector (the source stops); a later take() makes a new one. */
  async close(): Promise<void> {
    const made = this.detector;
    this.detector = undefined;
    const detector = await made?.catch(() => undefined);
    await detector?.close();
  }
}
