import t from 'tap';
import type { SourceConfig } from '../../daemon/audio/sources/config.js';
import { SourceSet } from '../../daemon/audio/sources/source-set.js';
import { validateConfig } from '../../daemon/config/load.js';
import { LogSink } from '../../daemon/log/logger.js';
import { buildSources } from '../../daemon/vad/build-sources.js';
import { commandSourceConfig, configIssues } from '../helpers/config-issues.js';

const commandSource = (backoff: Record<string, number>) => commandSourceConfig({ backoff });

t.test('a backoff below the floors still loads, so a config from before the floors survives an upgrade', async (t) => {
  t.same(configIssues(commandSource({ initialMs: 10 })), []);
  t.same(configIssues(commandSource({ maxMs: 10 })), [], 'raised to 1000, no longer below the default initialMs');
  t.same(configIssues(commandSource({ resetAfterMs: 0 })), []);
  t.same(configIssues(commandSource({ initialMs: 100, maxMs: 400 })), [], 'compared as run, 250 and 1000');
  t.match(configIssues(commandSource({ initialMs: 5 })), [/^sources\[0\]\.backoff\.initialMs: must be >= 10/], 'the old minimums still hold');
});

t.test('a command source runs below-floor settings at the floors, saying so once per setting', async (t) => {
  const lines: string[] = [];
  const starts: number[] = [];
  // Each start is timed as its line is written, which is right after the spawn (synchronously,
  // in the backoff timer's callback): nothing polls, so a late poll cannot shorten a gap.
  const write = (l: string) => {
    lines.push(l);
    if ((JSON.parse(l) as { msg: string }).msg === 'source command started') starts.push(performance.now());
  };
  const logger = new LogSink({ level: 'info', format: 'json', write }).logger('sources');
  const records = () => lines.map((l) => JSON.parse(l) as { msg: string; time?: string });
  const config = validateConfig(commandSourceConfig({ command: ['sh', '-c', 'exit 1'], backoff: { initialMs: 100, maxMs: 400, resetAfterMs: 0 } }), 'test.json');
  const set = new SourceSet(buildSources(config.sources as SourceConfig[], { logger, vad: { detector: 'energy' }, onSegment: async () => undefined }), logger);
  await set.start();
  t.teardown(() => set.stop());
  const end = Date.now() + 10_000;
  while (starts.length < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  await set.stop();
  t.ok(starts.length >= 4, `restarted (${starts.length} starts)`);

  const warnings = records().filter((r) => /floor/.test(r.msg)).map((r) => r.msg);
  t.same(warnings, [
    'sources (id "cam").backoff.initialMs 100 is below the 250 ms floor; using 250',
    'sources (id "cam").backoff.maxMs 400 is below the 1000 ms floor; using 1000',
    'sources (id "cam").backoff.resetAfterMs 0 is below the 1000 ms floor; using 1000',
  ], 'one warning per setting raised, at start');
  // Configured, the delays would be 100, 200, 400; at the floors they are 250, 500, 1000.
  const gaps = starts.slice(1, 4).map((at, i) => Math.round(at - starts[i]!));
  t.ok(gaps[0]! >= 240, `first restart after the 250 ms floor (${gaps[0]} ms)`);
  t.ok(gaps[1]! >= 480, `second after twice that (${gaps[1]} ms)`);
  t.ok(gaps[2]! >= 950, `third after the 1000 ms ceiling floor, not 400 (${gaps[2]} ms)`);
});

t.test('a backoff whose ceiling is below its first delay is refused, naming both', async (t) => {
  const lines = configIssues(commandSource({ initialMs: 5000, maxMs: 2000 }));
  t.equal(lines.length, 1, lines.join('\n'));
  t.match(lines[0], /^sources\[0\]\.backoff\.maxMs: \(2000\) is below initialMs \(5000\)/);
  // The default maxMs (60 s) counts too: raising initialMs alone past it is caught.
  t.match(configIssues(commandSource({ initialMs: 120_000 })), [/^sources\[0\]\.backoff\.maxMs: \(60000\) is below initialMs \(120000\)/]);
  t.same(configIssues(commandSource({ initialMs: 2000, maxMs: 2000 })), [], 'equal is fine');
  // Compared after the floors, but reported as configured.
  t.match(configIssues(commandSource({ initialMs: 2000, maxMs: 500 })), [/^sources\[0\]\.backoff\.maxMs: \(500\) is below initialMs \(2000\)/]);
});

t.test("the broker connection's reconnect ceiling below its first delay is refused too", async (t) => {
  t.match(configIssues({ mqtt: { reconnect: { minDelayMs: 5000, maxDelayMs: 2000 } } }), [/^mqtt\.reconnect\.maxDelayMs: \(2000\) is below minDelayMs \(5000\)/]);
  t.same(configIssues({ mqtt: { reconnect: { minDelayMs: 2000, maxDelayMs: 2000 } } }), [], 'equal is fine');
});
