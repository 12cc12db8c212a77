import t from 'tap';
import { configIssues } from '../helpers/config-issues.js';
import { launchRefused } from '../helpers/daemon-process.js';

const thermal = (limits: Record<string, number>) => ({ scheduler: { thermal: limits } });
const schedule = (cron: string, source = 'schedule') => ({ scheduler: { carbon: { source, schedule: [{ cron, gPerKWh: 90 }] } } });

t.test('thermal limits that contradict each other are refused, naming the config key', async (t) => {
  t.match(configIssues(thermal({ softC: 90, hardC: 80 })), [/^scheduler\.thermal\.hardC: \(80 °C\) must be above softC \(90 °C\) \(hint: .*raise hardC or lower softC/]);
  t.match(configIssues(thermal({ softC: 75, hardC: 75 })), [/^scheduler\.thermal\.hardC: \(75 °C\) must be above softC \(75 °C\)/], 'equal limits too');
  // The default hardC (90) counts: a softC raised alone past it is caught.
  t.match(configIssues(thermal({ softC: 95 })), [/^scheduler\.thermal\.hardC: \(90 °C\) must be above softC \(95 °C\)/]);
  t.match(configIssues(thermal({ softC: 40, hysteresisC: 40 })), [/^scheduler\.thermal\.hysteresisC: \(40 °C\) must be below softC \(40 °C\)/]);
  t.same(configIssues(thermal({ softC: 70, hardC: 85, hysteresisC: 10 })), []);
});

t.test("a carbon schedule's cron that node-cron refuses is a config issue, not a failed start", async (t) => {
  t.match(configIssues(schedule('99 * * * *')), [/^scheduler\.carbon\.schedule\[0\]\.cron: "99 \* \* \* \*" is not a valid cron expression \(minute: .*\(hint: use "minute hour day month weekday"/]);
  t.match(configIssues(schedule('* * 31 2 *')), [/^scheduler\.carbon\.schedule\[0\]\.cron: .*impossible day of month/], 'a window that would never open');
  t.same(configIssues(schedule('* 0-6 * * *')), []);
  t.same(configIssues(schedule('99 * * * *', 'static')), [], 'windows another source never reads do not stop a start');
});

t.test('earshotd refuses such a config with exit 78, as any bad config', async (t) => {
  const inverted = await launchRefused(thermal({ softC: 90, hardC: 80 }));
  t.notOk(inverted.ready, inverted.output);
  t.equal(inverted.code, 78);
  t.match(inverted.output, /scheduler\.thermal\.hardC: \(80 °C\) must be above softC \(90 °C\)/);
  const cron = await launchRefused(schedule('99 * * * *'));
  t.equal(cron.code, 78, cron.output);
  t.match(cron.output, /scheduler\.carbon\.schedule\[0\]\.cron: "99 \* \* \* \*" is not a valid cron expression/);
});
