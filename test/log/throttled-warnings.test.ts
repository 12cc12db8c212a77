import t from 'tap';
import { LogSink } from '../../daemon/log/logger.js';
import { throttledWarnings } from '../../daemon/log/throttled-warnings.js';

t.test('a flood of warnings passes its burst, then one line says how many were left out', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'warn', format: 'text', write: (line) => void lines.push(line) }).logger('test');
  let now = 0;
  const warnings = throttledWarnings(logger, 'bad messages', 2, 3, () => now);
  for (let i = 0; i < 10; i++) warnings.warn(`bad message ${i}`);
  t.equal(lines.length, 3, 'the burst of 3 is logged');
  t.match(lines[2]!, /bad message 2/);
  await new Promise((r) => setTimeout(r, 1100));
  t.equal(lines.length, 4, 'then one summary line');
  t.match(lines[3]!, /7 more bad messages not logged in the last second \(rate limited\)/);
  now += 1000; // two tokens back
  warnings.warn('bad message 10');
  warnings.warn('bad message 11');
  warnings.warn('bad message 12');
  t.match(lines.slice(4).join('\n'), /bad message 10[^]*bad message 11/, 'the refill lets two through');
  t.notMatch(lines.join('\n'), /bad message 12/, 'and not a third');
});

t.test('errors at the same bounded rate are logged at ERROR, the summary too', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'warn', format: 'text', write: (line) => void lines.push(line) }).logger('test');
  const failures = throttledWarnings(logger, 'unhandled rejections', 1, 2, () => 0);
  for (let i = 0; i < 1000; i++) failures.error(`rejection ${i}`);
  await new Promise((r) => setTimeout(r, 1100));
  t.same(lines.map((l) => l.split(' ')[0]), ['ERROR', 'ERROR', 'ERROR'], 'two, then the summary');
  t.match(lines[2]!, /998 more unhandled rejections not logged in the last second \(rate limited\)/);
});
