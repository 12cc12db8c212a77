import t from 'tap';
import { LogSink } from '../../../daemon/log/logger.js';
import { MqttCarbonSource } from '../../../daemon/energy/carbon/mqtt-source.js';

/**
 * Carbon messages arrive out of order (a retained one at reconnect, a publisher's backlog):
 * a forecast issued before the forecast held must not replace it, as a value read before the
 * value held does not. The real source's message handler, fed the bytes a broker delivers.
 */
const T = Date.parse('2026-11-26T10:00:00Z');
const HOUR = 3_600_000;

function source(now: () => number) {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'debug', format: 'text', syslogPrefix: false, write: (line) => void lines.push(line) }).logger('energy');
  const s = new MqttCarbonSource({ topic: 'earshot/grid/intensity', subscribe: () => () => undefined, staticDefault: 250, maxAgeMs: 2 * HOUR, logger, clock: now });
  const send = (message: unknown): void => s.onMessage(Buffer.from(JSON.stringify(message)));
  const ahead = (): number[] => s.forecast(now(), 24 * HOUR).map((p) => p.gPerKWh);
  return { s, send, ahead, lines };
}

const iso = (ms: number): string => new Date(ms).toISOString();

t.test('a forecast-only message issued before the forecast held is ignored, and said so', async (t) => {
  const { send, ahead, lines } = source(() => T + 10 * 60_000);
  send({ gPerKWh: 100, at: iso(T), forecast: [{ from: iso(T + HOUR), to: iso(T + 2 * HOUR), gPerKWh: 50 }] });
  t.same(ahead(), [50]);
  send({ at: iso(T - HOUR), forecast: [{ from: iso(T + HOUR), to: iso(T + 2 * HOUR), gPerKWh: 900 }] });
  t.same(ahead(), [50], 'the older forecast does not replace the newer');
  t.match(lines.join('\n'), /WARN .*carbon intensity message ignored: older than the forecast held .*at=2026-11-26T09:00:00\.000Z/);
  send({ at: iso(T + 5 * 60_000), forecast: [{ from: iso(T + HOUR), to: iso(T + 2 * HOUR), gPerKWh: 70 }] });
  t.same(ahead(), [70], 'a newer forecast does');
});

t.test("a newer value with an older forecast: the value is taken, the forecast is not", async (t) => {
  const { s, send, ahead } = source(() => T + 10 * 60_000);
  send({ gPerKWh: 100, at: iso(T) });
  send({ at: iso(T + 5 * 60_000), forecast: [{ from: iso(T + HOUR), to: iso(T + 2 * HOUR), gPerKWh: 60 }] });
  send({ gPerKWh: 140, at: iso(T + 3 * 60_000), forecast: [{ from: iso(T + HOUR), to: iso(T + 2 * HOUR), gPerKWh: 999 }] });
  t.match(s.current(T + 10 * 60_000), { gPerKWh: 140 }, 'read after the value held: taken');
  t.same(ahead(), [60], 'issued before the forecast held: not taken');
});

t.test('a forecast that does not say when it was issued is taken as issued now', async (t) => {
  const { send, ahead } = source(() => T + 10 * 60_000);
  send({ at: iso(T + 5 * 60_000), forecast: [{ from: iso(T + HOUR), to: iso(T + 2 * HOUR), gPerKWh: 60 }] });
  send({ forecast: [{ from: iso(T + HOUR), to: iso(T + 2 * HOUR), gPerKWh: 80 }] });
  t.same(ahead(), [80]);
});
