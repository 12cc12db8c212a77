import { validateConfig } from '../../daemon/config/load.js';
import { ConfigError } from '../../daemon/config/errors.js';

/** The `path: message` lines config validation reports for `raw`; [] when it is accepted. */
export function configIssues(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    validateConfig(raw, 'test.json', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.lines();
    throw err;
  }
  return [];
}

/** A config with one command source (an RTSP camera through ffmpeg) and the given source settings. */
export function commandSourceConfig(settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sources: [{ id: 'cam', type: 'command', command: ['ffmpeg', '-i', 'rtsp://10.0.0.5/stream', '-f', 's16le', '-'], format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, ...settings }],
  };
}
