import { PAYLOAD_VERSION } from './status.js';

/** `earshot/<siteId>/telemetry`, periodic. Fields are null when this box cannot measure them. */
export interface TelemetryPayload {
  v: typeof PAYLOAD_VERSION;
  siteId: string;
  ts: string;
  power: { watts: number | null; method: 'measured' | 'estimated' | 'unknown'; source?: string };
  temperature: { celsius: number | null; sensor?: string };
  carbon: { intensityGPerKwh: number | null; source?: string };
  model: { id: string | null; state: 'unloaded' | 'loading' | 'loaded' | 'unloading' | 'error' };
  queue: { depth: number; outboxDepth: number };
}

export type TelemetryInput = Omit<TelemetryPayload, 'v' | 'siteId' | 'ts' | 'queue'> & {
  queue: { depth: number };
};

export function buildTelemetry(siteId: string, input: TelemetryInput, outboxDepth: number, now = new Date()): TelemetryPayload {
  return {
    v: PAYLOAD_VERSION,
    siteId,
    ts: now.toISOString(),
    power: input.power,
    temperature: input.temperature,
    carbon: input.carbon,
    model: input.model,
    queue: { depth: input.queue.depth, outboxDepth },
  };
}
