import { join } from 'node:path';
import { fixturesDir } from './paths.js';

/**
 * The cheap whole-pipeline daemon config the end-to-end tests share: one spool folder,
 * energy VAD, the fixture NeMo-CTC model on CPU, a fast scheduler tick, and the embedded
 * broker on a known port (or an external broker by URL).
 */
export function spoolPipelineConfig(o: { siteId: string; spool: string; port?: number; brokerUrl?: string; dataDir?: string }): Record<string, unknown> {
  return {
    siteId: o.siteId,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    mqtt: o.brokerUrl ? { url: o.brokerUrl } : { url: null, embedded: { host: '127.0.0.1', port: o.port ?? 0 } },
    sources: [{ id: 'inbox', type: 'spool', dir: o.spool, settleMs: 200, pollMs: 100 }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
  };
}
