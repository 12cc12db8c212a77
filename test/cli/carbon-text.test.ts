import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';
import { describeForecast } from '../../daemon/cli/forecast-text.js';

/** What an operator reads off `earshot carbon`: each figure with the time it holds for. */
t.test('the forecast says when its values apply: from when and how far apart, or each start when uneven', async (t) => {
  const half = (from: string, to: string, g: number) => ({ from, to, gPerKWh: g });
  t.equal(
    describeForecast([half('2026-11-26T15:00:00.000Z', '2026-11-26T15:30:00.000Z', 300.4), half('2026-11-26T15:30:00.000Z', '2026-11-26T16:00:00.000Z', 80), half('2026-11-26T16:00:00.000Z', '2026-11-26T16:30:00.000Z', 95)]),
    'from 2026-11-26T15:00:00.000Z, every 30 min: 300 80 95',
  );
  t.equal(describeForecast([half('2026-11-26T15:00:00.000Z', '2026-11-26T16:00:00.000Z', 300), half('2026-11-26T16:00:00.000Z', '2026-11-26T16:30:00.000Z', 80), half('2026-11-26T16:30:00.000Z', '2026-11-26T18:00:00.000Z', 95)]), '15:00Z 300, 16:00Z 80, 16:30Z 95');
});

t.test('earshot carbon --local on a forecast file: the reading with its time, and the forecast with its times', async (t) => {
  const dir = tempDir('earshot-carbon-text-');
  const hour = 3600e3;
  // Now is half an hour into the first period, not wherever the clock is in its hour: a start
  // at the top of the hour failed whenever the CLI ran after the next hour began (the reading
  // was then the second period's).
  const start = Math.floor(Date.now() / 1000) * 1000 - hour / 2;
  const rows = [210, 95, 120, 300].map((g, i) => `${new Date(start + i * hour).toISOString()},${new Date(start + (i + 1) * hour).toISOString()},${g}`);
  writeFileSync(join(dir, 'forecast.csv'), `from,to,gco2_per_kwh\n${rows.join('\n')}\n`);
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ dataDir: join(dir, 'data'), scheduler: { carbon: { source: 'file', file: join(dir, 'forecast.csv') } } }));
  const run = await runCli(['carbon', '--local', '--config', config]);
  t.equal(run.code, 0, run.stderr);
  // As of the period it comes from, or of when the file was read: within the hour, never ahead.
  const asOf = Date.parse(/^now\s+210 gCO2e\/kWh from file \(live, as of (\S+Z)\)$/m.exec(run.stdout)?.[1] ?? '');
  t.ok(asOf >= start && asOf <= Date.now(), `the reading says as of when: ${run.stdout}`);
  t.match(run.stdout, new RegExp(`^forecast\\s+from ${new Date(start).toISOString().replace(/\./g, '\\.')}, every 60 min: 210 95 120 300$`, 'm'));
});
