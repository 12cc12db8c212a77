import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../helpers/paths.js';
import BudgetSet from '../../daemon/cli/commands/budget/set.js';
import BudgetShow from '../../daemon/cli/commands/budget/show.js';
import Carbon from '../../daemon/cli/commands/carbon.js';
import { captureOutput } from './helpers/capture-stdout.js';

function configFile(extra: Record<string, unknown> = {}): { file: string; dataDir: string } {
  const dir = tempDir('earshot-budget-');
  const dataDir = join(dir, 'data');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ siteId: 'lab-1', dataDir, control: { socket: join(dir, 'control.sock') }, ...extra }));
  return { file, dataDir };
}

t.test('budget set without a daemon persists; budget show reads it back', async (t) => {
  const { file, dataDir } = configFile({ scheduler: { thermal: { softC: 70, hardC: 85 } } });
  const shown = await (await captureOutput(() => BudgetShow.run(['--config', file, '--json'], repoRoot))).value;
  const config = { powerBudgetWatts: null, softC: 70, hardC: 85, hysteresisC: 5 };
  t.same(shown, { ...config, config, overridden: [], source: 'saved' });
  const set = await captureOutput(() => BudgetSet.run(['--config', file, '--watts', '15', '--temp-soft', '65'], repoRoot));
  t.match(set.stdout, /power budget {2}15 W/);
  t.match(set.stdout, /saved; the daemon is not running/);
  t.same(JSON.parse(readFileSync(join(dataDir, 'scheduler', 'budget.json'), 'utf8')), { format: 1, powerBudgetWatts: 15, softC: 65 });
  const again = await (await captureOutput(() => BudgetShow.run(['--config', file, '--json'], repoRoot))).value;
  t.same(again, { powerBudgetWatts: 15, softC: 65, hardC: 85, hysteresisC: 5, config, overridden: ['powerBudgetWatts', 'softC'], source: 'saved' });
  const reset = await captureOutput(() => BudgetSet.run(['--config', file, '--reset', '--json'], repoRoot));
  t.match(await reset.value, { ...config, overridden: [], applied: 'at next start' }, "--reset alone: the config's values again");
  t.same(JSON.parse(readFileSync(join(dataDir, 'scheduler', 'budget.json'), 'utf8')), { format: 1 });
});

t.test('budget show without a daemon says when the saved budget cannot be read, and shows the config\'s values the daemon will use', async (t) => {
  const { file, dataDir } = configFile({ scheduler: { powerBudgetWatts: 20 } });
  await captureOutput(() => BudgetSet.run(['--config', file, '--watts', '15'], repoRoot));
  // As a power cut leaves it: the file's name in place, its bytes zeros.
  const saved = join(dataDir, 'scheduler', 'budget.json');
  writeFileSync(saved, Buffer.alloc(40));
  const shown = await captureOutput(() => BudgetShow.run(['--config', file], repoRoot));
  t.match(shown.stdout, /power budget {2}20 W/, "the config's power budget");
  // oclif wraps a warning to the terminal's width, each line led by '›'.
  t.match(shown.stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' '), `${saved} cannot be read`, 'and why the saved 15 W is not');
});

t.test('budget set refuses bad values with the flag and a fix, writing nothing', async (t) => {
  const { file, dataDir } = configFile();
  await t.rejects(captureOutput(() => BudgetSet.run(['--config', file, '--temp-soft', '95'], repoRoot)), /--temp-hard \(90 °C\) must be above --temp-soft \(95 °C\)/);
  await t.rejects(captureOutput(() => BudgetSet.run(['--config', file, '--watts', 'lots'], repoRoot)), /--watts must be a decimal number, got "lots"/);
  // Number() would take these: 16 W, 100 W, 2 W.
  for (const odd of ['0x10', '1e2', '0b10']) await t.rejects(captureOutput(() => BudgetSet.run(['--config', file, '--watts', odd], repoRoot)), new RegExp(`--watts must be a decimal number, got "${odd}"`));
  await t.rejects(captureOutput(() => BudgetSet.run(['--config', file], repoRoot)), /nothing to set/);
  t.throws(() => readFileSync(join(dataDir, 'scheduler', 'budget.json')), /ENOENT/);
});

t.test('earshot carbon --local reads the configured schedule source', async (t) => {
  const { file } = configFile({ scheduler: { carbon: { source: 'schedule', staticGPerKWh: 260, scheduleUtc: true, schedule: [{ cron: '* * * * *', gPerKWh: 111 }] } } });
  const status = await (await captureOutput(() => Carbon.run(['--config', file, '--local', '--json'], repoRoot))).value;
  t.same([status.current.gPerKWh, status.current.source, status.current.status], [111, 'schedule', 'live']);
  t.equal(status.forecast.length, 49);
});
