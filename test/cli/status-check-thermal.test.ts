import t from 'tap';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type RunningDaemon } from '../helpers/daemon-process.js';
import { ORIN_CPU_SENSOR, orinDaemon, untilSchedulerStatus } from '../helpers/orin-daemon.js';
import type { StatusResult } from '../../daemon/control/methods.js';

/**
 * `earshot status --check` and the box's heat, on a real daemon whose CPU sensor is a file the
 * test writes (limits 70 / 85 °C, resume at 65 °C): paused at the hard limit, and cooling from
 * it, the box needs its cooling looked at (exit 6); throttled at the soft limit it is the
 * scheduler doing its job (exit 0). A sensor that stops reading is a problem too.
 */
async function check(d: RunningDaemon): Promise<{ code: number; problems: string[] }> {
  const r = await runCli(['status', '--check', '--json', '--socket', d.socket]);
  return { code: r.code, problems: (JSON.parse(r.stdout) as StatusResult).problems ?? [] };
}

t.test('status --check exits 6 while batch work is paused at the thermal hard limit, 0 when throttled at the soft limit or cool', async (t) => {
  const { setTemp, daemon } = await orinDaemon(t);
  await untilSchedulerStatus(daemon, /^thermal normal, 50\.0 °C/);
  t.same(await check(daemon), { code: 0, problems: [] }, 'cool');

  setTemp(75);
  await untilSchedulerStatus(daemon, /^thermal soft, 75\.0 °C/);
  t.same(await check(daemon), { code: 0, problems: [] }, 'throttled at the soft limit is no problem');

  setTemp(90);
  await untilSchedulerStatus(daemon, /^thermal hard, 90\.0 °C/);
  t.match(await check(daemon), { code: 6, problems: [/^scheduler: thermal hard limit: 90\.0 °C ≥ 85 °C, batch paused until ≤ 65 °C; the box's cooling \(fan, air flow, dust\) needs a look$/] });
  const plain = await runCli(['status', '--socket', daemon.socket]);
  t.match(plain.stdout, /problems:\n {2}scheduler: thermal hard limit: 90\.0 °C/, 'the text output lists it');

  setTemp(67);
  await untilSchedulerStatus(daemon, /^thermal hard, 67\.0 °C/);
  t.match(await check(daemon), { code: 6, problems: [/^scheduler: thermal hard limit: reached, cooling: 67\.0 °C, batch paused until ≤ 65 °C/] }, 'still paused, cooling inside the band');

  setTemp(60);
  await untilSchedulerStatus(daemon, /^thermal normal, 60\.0 °C/);
  t.same(await check(daemon), { code: 0, problems: [] }, 'well again once cool');
});

t.test('status --check exits 6 while the thermal sensor cannot be read', async (t) => {
  const { root, daemon } = await orinDaemon(t);
  await untilSchedulerStatus(daemon, /^thermal normal, 50\.0 °C/);
  rmSync(join(root, ORIN_CPU_SENSOR));
  await untilSchedulerStatus(daemon, /thermal sensor unreadable/);
  t.match(await check(daemon), { code: 6, problems: [/^scheduler: the thermal sensor thermal_zone0 cannot be read \(gone, or an implausible value\)/] });
});
