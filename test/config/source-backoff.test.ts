import t from 'tap';
import { commandSourceConfig, configIssues } from '../helpers/config-issues.js';

const commandSource = (backoff: Record<string, number>) => commandSourceConfig({ backoff });

t.test('a restart backoff that would respawn a failing command many times a second is refused', async (t) => {
  t.match(configIssues(commandSource({ initialMs: 10 })), [/^sources\[0\]\.backoff\.initialMs: must be >= 250/]);
  t.match(configIssues(commandSource({ maxMs: 10 })), [/^sources\[0\]\.backoff\.maxMs: must be >= 1000/]);
  t.match(configIssues(commandSource({ resetAfterMs: 0 })), [/^sources\[0\]\.backoff\.resetAfterMs: must be >= 1000/]);
  t.same(configIssues(commandSource({ initialMs: 250, maxMs: 1000, resetAfterMs: 1000 })), [], 'the floors themselves are allowed');
});

t.test('a backoff whose ceiling is below its first delay is refused, naming both', async (t) => {
  const lines = configIssues(commandSource({ initialMs: 5000, maxMs: 2000 }));
  t.equal(lines.length, 1, lines.join('\n'));
  t.match(lines[0], /^sources\[0\]\.backoff\.maxMs: \(2000\) is below initialMs \(5000\)/);
  // The default maxMs (60 s) counts too: raising initialMs alone past it is caught.
  t.match(configIssues(commandSource({ initialMs: 120_000 })), [/^sources\[0\]\.backoff\.maxMs: \(60000\) is below initialMs \(120000\)/]);
  t.same(configIssues(commandSource({ initialMs: 2000, maxMs: 2000 })), [], 'equal is fine');
});

t.test("the broker connection's reconnect ceiling below its first delay is refused too", async (t) => {
  t.match(configIssues({ mqtt: { reconnect: { minDelayMs: 5000, maxDelayMs: 2000 } } }), [/^mqtt\.reconnect\.maxDelayMs: \(2000\) is below minDelayMs \(5000\)/]);
  t.same(configIssues({ mqtt: { reconnect: { minDelayMs: 2000, maxDelayMs: 2000 } } }), [], 'equal is fine');
});
