import t from 'tap';
import { carbonStatus } from '../../../daemon/energy/carbon/carbon-status.js';
import { ScheduleCarbonSource } from '../../../daemon/energy/carbon/schedule-source.js';
import { StaticCarbonSource } from '../../../daemon/energy/carbon/static-source.js';

t.test('current, 24 h forecast and the next window in the cleanest quarter', async (t) => {
  const src = new ScheduleCarbonSource([{ cron: '* 1-4 * * *', gPerKWh: 80 }, { cron: '* 12-13 * * *', gPerKWh: 150 }], 260, true);
  const now = Date.parse('2026-11-25T18:10:00Z');
  const s = carbonStatus(src, now);
  t.same([s.current.gPerKWh, s.current.source, s.current.status], [260, 'schedule', 'live']);
  t.equal(s.forecast.length, 49);
  t.same(s.nextLowWindow, { from: '2026-11-26T01:00:00.000Z', to: '2026-11-26T05:00:00.000Z', meanGPerKWh: 80, thresholdGPerKWh: 150 });
});

t.test('a static source has no window to point at', async (t) => {
  const s = carbonStatus(new StaticCarbonSource(200), 0);
  t.equal(s.nextLowWindow, null);
  t.equal(s.current.gPerKWh, 200);
});
