import t from 'tap';
import { writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, repoRoot } from '../../helpers/paths.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { ScheduleCarbonSource } from '../../../daemon/energy/carbon/schedule-source.js';
import { FileCarbonSource } from '../../../daemon/energy/carbon/file-source.js';
import { MAX_MESSAGE_BYTES, MqttCarbonSource } from '../../../daemon/energy/carbon/mqtt-source.js';
import { StaticCarbonSource } from '../../../daemon/energy/carbon/static-source.js';
import { parseForecastCsv, parseForecastJson } from '../../../daemon/energy/carbon/forecast-parsers.js';

t.test('static source', async (t) => {
  const s = new StaticCarbonSource(233);
  t.same(s.current(5), { gPerKWh: 233, source: 'static', status: 'live', atMs: 5 });
});

t.test('schedule: cron windows with values, first match wins, weekdays honoured', async (t) => {
  const s = new ScheduleCarbonSource(
    [
      { cron: '* 0-5 * * *', gPerKWh: 90 },
      { cron: '* 11-14 * * 1-5', gPerKWh: 120 },
    ],
    300,
    true,
  );
  t.equal(s.valueAt(Date.parse('2026-11-25T03:30:00Z')), 90);
  t.equal(s.valueAt(Date.parse('2026-11-25T12:00:00Z')), 120, 'Wednesday noon');
  t.equal(s.valueAt(Date.parse('2026-11-29T12:00:00Z')), 300, 'Sunday noon is not in the weekday window');
  t.equal(s.valueAt(Date.parse('2026-11-25T18:00:00Z')), 300);
  const fc = s.forecast(Date.parse('2026-11-25T23:10:00Z'), 3 * 3600e3);
  t.same(fc.map((p) => p.gPerKWh), [300, 300, 90, 90, 90, 90, 90]);
  t.throws(() => new ScheduleCarbonSource([{ cron: '99 * * * *', gPerKWh: 1 }], 300), /schedule\[0\]\.cron: "99 \* \* \* \*" is not a valid cron/);
  t.throws(() => new ScheduleCarbonSource([{ cron: '* * * * *', gPerKWh: -1 }], 300), /schedule\[0\]\.gPerKWh/);
});

t.test('forecast file: CSV and JSON, reload on change, bad file keeps the last good forecast', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'forecast.csv');
  writeFileSync(path, '# site forecast\nfrom,to,gco2_per_kwh\n2026-11-25T06:00Z,2026-11-25T07:00Z,210\n2026-11-25T07:00Z,2026-11-25T08:00Z,95\n');
  const src = new FileCarbonSource({ path, staticDefault: 250, refreshMs: 3600e3, logger: silentLogger });
  await src.start();
  t.teardown(() => src.stop());
  const at = Date.parse('2026-11-25T06:30:00Z');
  t.same([src.current(at).gPerKWh, src.current(at).status], [210, 'live']);
  t.equal(src.forecast(at, 3600e3 * 3).length, 2);
  const later = Date.parse('2026-11-25T09:00:00Z');
  t.equal(src.current(later).status, 'static-default');
  t.match(src.current(later).note, /no period covering/);

  writeFileSync(path, 'from,gco2_per_kwh\n2026-11-25T06:00Z,lots\n');
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  await src.reload();
  const r = src.current(at);
  t.same([r.gPerKWh, r.status], [210, 'last-good']);
  t.match(r.note, /forecast\.csv:2: intensity must be a number/);
});

t.test('the committed bench trace parses as a forecast file', async (t) => {
  const { readFileSync } = await import('node:fs');
  const points = parseForecastCsv(readFileSync(join(repoRoot, 'bench/carbon/gb-national-2023-03-14.csv'), 'utf8'));
  t.equal(points.length, 278);
  t.equal(points[0]?.toMs - (points[0]?.fromMs ?? 0), 30 * 60e3);
});

t.test('CSV errors name the line', async (t) => {
  t.throws(() => parseForecastCsv('time,value\n'), /header must name a "from" column/);
  t.throws(() => parseForecastCsv('from,value\nyesterday,5\n'), /:2: "from" is not an ISO 8601 time/);
  t.throws(() => parseForecastCsv('from,value\n2026-11-25T07:00Z,5\n2026-11-25T06:00Z,4\n2026-11-25T06:00Z,4\n'), /two periods start at 2026-11-25T06:00/);
});

t.test('JSON forecast errors name the field as sent and the value it held', async (t) => {
  const period = { from: '2026-11-25T06:00Z', to: '2026-11-25T06:30Z' };
  const parse = (item: Record<string, unknown>) => () => parseForecastJson(JSON.stringify([item]), 'forecast');
  t.throws(parse({ ...period, gPerKWh: 'x' }), { message: 'forecast[0].gPerKWh: intensity must be a number of gCO2e/kWh between 0 and 5000, got "x"' });
  t.throws(parse({ ...period, gPerKWh: -3 }), { message: /^forecast\[0\]\.gPerKWh: .* got -3$/ });
  t.throws(parse({ ...period, intensity: 'high' }), { message: /^forecast\[0\]\.intensity: .* got "high"$/ });
  t.throws(parse({ ...period, intensity: { forecast: null, actual: null } }), { message: /^forecast\[0\]\.intensity\.forecast: .* got null$/ });
  t.throws(parse({ ...period, intensity: { forecast: 120, actual: 'n/a' } }), { message: /^forecast\[0\]\.intensity\.actual: .* got "n\/a"$/ });
  t.throws(parse(period), { message: /^forecast\[0\]: no intensity: give "gPerKWh"/ });
  t.same(parseForecastJson(JSON.stringify([{ ...period, intensity: { forecast: 120, actual: null } }])).map((p) => p.gPerKWh), [120], "the UK API's forecast stands in for an actual not yet measured");
});

t.test('mqtt topic: numbers and JSON via an injected subscribe; bad payloads fall back and say so', async (t) => {
  let deliver: ((p: Buffer) => void) | undefined;
  let unsubscribed = false;
  let now = Date.parse('2026-11-25T06:00:00Z');
  const src = new MqttCarbonSource({
    topic: 'site/grid/intensity',
    subscribe: (topic, fn) => {
      t.equal(topic, 'site/grid/intensity');
      deliver = fn;
      return () => (unsubscribed = true);
    },
    staticDefault: 250,
    maxAgeMs: 3600e3,
    logger: silentLogger,
    clock: () => now,
  });
  await src.start();
  t.equal(src.current(now).status, 'static-default');
  deliver?.(Buffer.from('143'));
  t.same([src.current(now).gPerKWh, src.current(now).status], [143, 'live']);
  deliver?.(Buffer.from(JSON.stringify({ gPerKWh: 150, forecast: [{ from: '2026-11-25T07:00Z', to: '2026-11-25T08:00Z', gPerKWh: 80 }] })));
  t.equal(src.current(now).gPerKWh, 150);
  t.equal(src.current(Date.parse('2026-11-25T07:30:00Z')).gPerKWh, 80);
  deliver?.(Buffer.from(JSON.stringify({ forecast: [{ from: '2026-11-25T07:00Z', to: '2026-11-25T08:00Z', gPerKWh: 'x' }] })));
  t.match(src.current(now).note, 'site/grid/intensity forecast[0].gPerKWh: intensity must be a number of gCO2e/kWh between 0 and 5000, got "x"', 'a bad forecast value sent on the topic is named with its value');
  deliver?.(Buffer.from('{"gPerKWh":"high"}'));
  t.equal(src.current(now).status, 'last-good');
  t.match(src.current(now).note, /bad payload on site\/grid\/intensity/);
  // A payload quoted in the note cannot start a line of its own in earshot carbon or status.
  deliver?.(Buffer.from('x\nnow 12 g/kWh live\r\u001b[2K'));
  t.match(src.current(now).note, /"x\\nnow 12 g"/);
  t.notMatch(src.current(now).note, /[\n\r\u001b]/);
  // A bare number out of range says which range, negative as much as too high.
  deliver?.(Buffer.from('-20'));
  t.match(src.current(now), { gPerKWh: 150, status: 'last-good', note: /gPerKWh must be a number between 0 and 5000, got -20$/ });
  deliver?.(Buffer.from('99999'));
  t.match(src.current(now).note, /gPerKWh must be a number between 0 and 5000, got 99999$/);
  deliver?.(Buffer.from('null'));
  t.match(src.current(now).note, /expected a number, or JSON with "gPerKWh" and\/or "forecast", got null$/);
  deliver?.(Buffer.from('1.2e2'));
  t.match(src.current(now), { gPerKWh: 120, status: 'live' }, 'a number JSON writes with an exponent is a reading too');
  // A good reading padded past the size limit is not even read (anyone on the broker may send one).
  deliver?.(Buffer.concat([Buffer.from('{"gPerKWh":99}'), Buffer.alloc(MAX_MESSAGE_BYTES, ' ')]));
  t.not(src.current(now).gPerKWh, 99, 'an oversized message is ignored unread');
  now += 3 * 3600e3;
  t.match(src.current(now).note, /stale/);
  await src.stop();
  t.ok(unsubscribed);
});
