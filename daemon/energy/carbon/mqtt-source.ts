import type { Logger } from '../../log/logger.js';
import type { CarbonSource, IntensityPoint, IntensityReading } from './types.js';
import { clipForecast, validIntensity } from './types.js';
import { LastGood } from './last-good.js';
import { parseForecastJson } from './forecast-parsers.js';
import { readingTime } from './reading-time.js';
import { SignedReadings } from './signed-reading.js';
import { throttledWarnings } from '../../log/throttled-warnings.js';

/**
 * The longest message read. Anyone on the broker may publish on the topic, and reading a
 * message costs several times its size in memory; a forecast a year long at hourly steps is
 * about 0.5 MB.
 */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

export type Subscribe = (topic: string, onMessage: (payload: Buffer) => void) => () => void;

export interface MqttSourceOptions {
  topic: string;
  subscribe: Subscribe;
  staticDefault: number;
  maxAgeMs: number;
  logger: Logger;
  /** `scheduler.carbon.mqttKeyFile`'s key: only readings signed with it are taken. Null: any reading. */
  key?: Buffer | null;
  clock?: () => number;
}

/**
 * Subscribes to a topic the site publishes its intensity on. The daemon's MQTT client is
 * injected as a subscribe function (this module never opens a connection). Payloads: a bare
 * number (`182`), or JSON `{"gPerKWh": 182, "at"?: ISO, "forecast"?: [{from, to?, gPerKWh}]}`.
 * With a key, only that JSON signed with it (schemas/carbon-reading.schema.json) is taken:
 * anyone who can publish on the topic could otherwise hold batch work back with a high
 * value, or run it at the dirtiest hour with a low one.
 */
export class MqttCarbonSource implements CarbonSource {
  readonly name = 'mqtt';
  private readonly state: LastGood;
  /** When the forecast held was issued (its message's time), if it was told. */
  private forecastAtMs: number | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Whoever publishes on the topic sets the pace of bad messages; the log does not follow it. */
  private readonly ignored;
  private readonly signed: SignedReadings | null;

  constructor(private readonly options: MqttSourceOptions) {
    this.state = new LastGood('mqtt', options.staticDefault, options.maxAgeMs);
    this.ignored = throttledWarnings(options.logger, 'ignored carbon intensity messages');
    this.signed = options.key ? new SignedReadings(options.key, options.topic, options.maxAgeMs) : null;
  }

  async start(): Promise<void> {
    if (!this.signed) this.options.logger.warn(`carbon readings are not signed: any client allowed to publish on ${this.options.topic} sets the intensity batch work waits for; set scheduler.carbon.mqttKeyFile (readings made with earshot carbon sign), or let only the site's publisher publish there (broker ACLs)`);
    this.unsubscribe = this.options.subscribe(this.options.topic, (payload) => this.onMessage(payload));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  onMessage(payload: Buffer): void {
    if (payload.length > MAX_MESSAGE_BYTES) {
      this.ignored.warn('carbon intensity message ignored unread', { topic: this.options.topic, reason: `${payload.length} bytes, over the ${MAX_MESSAGE_BYTES} a reading may have` });
      return;
    }
    const now = (this.options.clock ?? Date.now)();
    const text = payload.toString('utf8').trim();
    try {
      if (this.signed) return this.takeSigned(this.signed, text, now);
      // Digits alone as a number even where JSON refuses them (a leading zero: "080").
      this.take(readingOf(/^\d+(\.\d+)?$/.test(text) ? Number(text) : JSON.parse(text)), now);
    } catch (err) {
      this.refuse(`bad payload on ${this.options.topic}: ${(err as Error).message}`);
    }
  }

  /** A reading that must carry a good signature; one without is refused and changes nothing. */
  private takeSigned(signed: SignedReadings, text: string, now: number): void {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const opened = signed.open(body, now);
    if ('redelivered' in opened) return this.options.logger.debug('carbon intensity message seen before (retained, sent again at reconnect)', { topic: this.options.topic });
    if ('problem' in opened) return this.refuse(`refused on ${this.options.topic}: ${opened.problem}`);
    this.take(opened.reading, now, opened.signedAtMs);
  }

  /** A reading's JSON; `signedAtMs` is its time when it has no `at` (else: now). */
  private take(o: Reading, now: number, signedAtMs?: number): void {
    const forecast = o.forecast === undefined ? undefined : parseForecastJson(JSON.stringify(o.forecast), `${this.options.topic} forecast`);
    if (o.gPerKWh !== undefined && !validIntensity(o.gPerKWh)) throw new Error(`gPerKWh must be a number between 0 and 5000, got ${JSON.stringify(o.gPerKWh)}`);
    if (o.gPerKWh === undefined && !forecast) throw new Error('expected a number, or JSON with "gPerKWh" and/or "forecast"');
    const atMs = readingTime(o.at, now, signedAtMs);
    // Messages come out of order (a retained one on reconnect, a publisher's backlog): one
    // that says when it was read, and was read before the value held, must not replace it.
    const heldAtMs = this.state.heldAtMs;
    const timed = o.at !== undefined || signedAtMs !== undefined;
    if (o.gPerKWh !== undefined && timed && heldAtMs !== undefined && atMs < heldAtMs) {
      this.ignored.warn('carbon intensity message ignored: older than the value held', { topic: this.options.topic, at: new Date(atMs).toISOString(), held: new Date(heldAtMs).toISOString() });
      return;
    }
    // The same for a forecast: one issued before the forecast held must not replace it.
    const staleForecast = forecast !== undefined && timed && this.forecastAtMs !== undefined && atMs < this.forecastAtMs;
    if (staleForecast && o.gPerKWh === undefined) {
      this.ignored.warn('carbon intensity message ignored: older than the forecast held', { topic: this.options.topic, at: new Date(atMs).toISOString(), held: new Date(this.forecastAtMs!).toISOString() });
      return;
    }
    const takenForecast = staleForecast ? undefined : forecast;
    if (takenForecast && takenForecast.length > 0) this.forecastAtMs = atMs;
    this.state.accept({ ...(o.gPerKWh !== undefined ? { gPerKWh: o.gPerKWh as number } : {}), atMs, ...(takenForecast ? { forecast: takenForecast } : {}) });
  }

  /** Nothing of the message is taken; `earshot carbon` shows why until a good one comes. */
  private refuse(reason: string): void {
    this.ignored.warn('carbon intensity message ignored', { reason });
    this.state.reject(reason);
  }

  current(nowMs: number): IntensityReading {
    return this.state.reading(nowMs);
  }

  forecast(nowMs: number, horizonMs: number): IntensityPoint[] {
    return clipForecast(this.state.forecast(), nowMs, horizonMs);
  }
}

/** A reading's JSON as sent, before it is checked. */
interface Reading {
  gPerKWh?: unknown;
  at?: unknown;
  forecast?: unknown;
}

/**
 * The reading a message's JSON holds: a bare number (-20 and 1e2 as much as 143) is its
 * gPerKWh, checked as one; anything else but an object is none. A negative number was said
 * to be no number at all, and `null` failed with a TypeError.
 */
function readingOf(body: unknown): Reading {
  if (typeof body === 'number') return { gPerKWh: body };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error(`expected a number, or JSON with "gPerKWh" and/or "forecast", got ${JSON.stringify(body)}`);
  return body as Reading;
}
