import t from 'tap';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { restartDaemon, runCli, startDaemon } from '../helpers/daemon-process.js';
import { budgetedDaemon } from './helpers/budgeted-daemon.js';
import { orinDaemon, untilSchedulerStatus } from '../helpers/orin-daemon.js';

t.test('budget show and set work on the running daemon, not on this shell\'s config', async (t) => {
  // The daemon's limits differ from the schema defaults (soft 75, hard 90) a bare CLI would read.
  const daemon = await startDaemon({ scheduler: { thermal: { softC: 50, hardC: 60 } } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const set = await runCli(['budget', 'set', '--watts', '15', '--socket', daemon.socket]);
  t.equal(set.code, 0, set.stderr);
  t.match(set.stdout, /applied to the running daemon/);

  const shown = await runCli(['budget', 'show', '--socket', daemon.socket, '--json']);
  t.equal(shown.code, 0, shown.stderr);
  t.same(JSON.parse(shown.stdout), { powerBudgetWatts: 15, softC: 50, hardC: 60, hysteresisC: 5, config: { powerBudgetWatts: null, softC: 50, hardC: 60, hysteresisC: 5 }, overridden: ['powerBudgetWatts'], source: 'daemon' }, 'the live value, right after the set');

  // 55 °C is a valid hard limit over the daemon's soft 50, though not over the default soft 75.
  const hard = await runCli(['budget', 'set', '--temp-hard', '55', '--socket', daemon.socket, '--json']);
  t.equal(hard.code, 0, hard.stdout);
  t.match(JSON.parse(hard.stdout), { softC: 50, hardC: 55, applied: 'live' });

  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
  const saved = await runCli(['budget', 'show', '--config', daemon.configFile]);
  t.equal(saved.code, 0, saved.stderr);
  t.match(saved.stdout, /power budget {2}15 W/);
  t.match(saved.stdout, /thermal {7}soft 50 °C, hard 55 °C/);
  t.match(saved.stdout, /the daemon is not running: this is the saved budget it will use when it starts/);
});

t.test("an override holds over a config edited since, and budget show says so; budget set --reset goes back to the config's values", async (t) => {
  const daemon = await startDaemon({ scheduler: { powerBudgetWatts: 30 } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const set = await runCli(['budget', 'set', '--watts', '20', '--temp-soft', '70', '--socket', daemon.socket]);
  t.equal(set.code, 0, set.stderr);
  t.match(set.stdout, /^overrides {5}power budget 20 W \(config: 30 W\), soft 70 °C \(config: 75 °C\): set by earshot budget set, kept over the config until earshot budget set --reset$/m);
  // The operator edits the config to 40 W and restarts: the override still holds, and shows as one.
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
  const config = JSON.parse(readFileSync(daemon.configFile, 'utf8')) as { scheduler: Record<string, unknown> };
  writeFileSync(daemon.configFile, JSON.stringify({ ...config, scheduler: { ...config.scheduler, powerBudgetWatts: 40 } }));
  const again = await restartDaemon(daemon);
  t.teardown(() => {
    if (again.child.exitCode === null) again.child.kill('SIGKILL');
  });
  const shown = await runCli(['budget', 'show', '--socket', again.socket]);
  t.equal(shown.code, 0, shown.stderr);
  t.match(shown.stdout, /^power budget {2}20 W$/m);
  t.match(shown.stdout, /^overrides {5}power budget 20 W \(config: 40 W\), soft 70 °C \(config: 75 °C\)/m);
  const reset = await runCli(['budget', 'set', '--reset', '--temp-hard', '85', '--socket', again.socket, '--json']);
  t.equal(reset.code, 0, reset.stderr);
  t.match(JSON.parse(reset.stdout), { powerBudgetWatts: 40, softC: 75, hardC: 85, overridden: ['hardC'], applied: 'live' }, 'the overrides dropped, then the flags given applied over the config');
  const after = await runCli(['budget', 'show', '--socket', again.socket]);
  t.match(after.stdout, /^power budget {2}40 W$/m);
  t.match(after.stdout, /^overrides {5}hard 85 °C \(config: 90 °C\):/m);
});

t.test('budget set says when the new budget pauses batch work, as the daemon decided with it', async (t) => {
  const daemon = await budgetedDaemon(t, 100);
  const low = await runCli(['budget', 'set', '--watts', '30', '--socket', daemon.socket]);
  t.equal(low.code, 0, low.stderr);
  // oclif folds the warning to the terminal width.
  t.match(low.stderr.replace(/\s*›\s*/g, ' '), /batch work is paused with this budget: power budget 30 W is below idle \+ one thread \(47\.0 W\)/);
  const lower = await runCli(['budget', 'set', '--watts', '20', '--socket', daemon.socket, '--json']);
  t.match(JSON.parse(lower.stdout), { powerBudgetWatts: 20, applied: 'live', effect: { pauseBatch: true, reasons: [/power budget 20 W is below idle/] } }, 'with --json, in the answer');
  const enough = await runCli(['budget', 'set', '--watts', '100', '--socket', daemon.socket]);
  t.equal(enough.code, 0, enough.stderr);
  t.notMatch(enough.stderr, /paused/, 'a budget that leaves room says nothing of the kind');
});

t.test('budget set refuses a value out of range or against the other limits as a bad flag (exit 2), naming the flag, and changes nothing', async (t) => {
  const daemon = await startDaemon({ scheduler: { thermal: { softC: 70, hardC: 85 } } });
  t.teardown(() => void (daemon.child.exitCode === null && daemon.child.kill('SIGKILL')));
  const cases: Array<[string[], RegExp]> = [
    [['--temp-soft', '10'], /--temp-soft must be between 20 and 150 °C, got 10/],
    [['--watts', '0'], /--watts must be between 1 and 5000/],
    [['--hysteresis', '60'], /--hysteresis must be between 0 and 50 °C, got 60/],
    [['--temp-soft', '40', '--hysteresis', '45'], /--hysteresis \(45 °C\) must be below --temp-soft \(40 °C\)/],
    [['--temp-hard', '65'], /--temp-hard \(65 °C\) must be above --temp-soft \(70 °C\)/],
    [['--temp-soft', 'warm'], /--temp-soft must be a decimal number/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['budget', 'set', ...args, '--socket', daemon.socket]);
    t.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.match(r.stderr.replace(/\s*›\s*/g, ' '), message);
  }
  const shown = await runCli(['budget', 'show', '--socket', daemon.socket, '--json']);
  t.match(JSON.parse(shown.stdout), { powerBudgetWatts: null, softC: 70, hardC: 85, hysteresisC: 5, overridden: [] }, 'nothing changed');
});

t.test('budget set while the box is past its hard limit says that is what pauses batch work, not the budget', async (t) => {
  const { setTemp, daemon } = await orinDaemon(t);
  setTemp(90);
  await untilSchedulerStatus(daemon, /^thermal hard, 90\.0 °C/);
  const set = await runCli(['budget', 'set', '--watts', '50', '--socket', daemon.socket]);
  t.equal(set.code, 0, set.stderr);
  const warned = set.stderr.replace(/\s*›\s*/g, ' ');
  t.match(warned, /batch work is paused at the thermal hard limit, whatever the budget: thermal hard limit: 90\.0 °C ≥ 85 °C, batch paused until ≤ 65 °C/);
  t.notMatch(warned, /paused with this budget/, 'the budget is not blamed');
  const json = await runCli(['budget', 'set', '--watts', '60', '--socket', daemon.socket, '--json']);
  t.match(JSON.parse(json.stdout), { effect: { pauseBatch: true, pausedBy: ['thermal hard limit'] } });
});

t.test('budget show --site fails as status --site does, never showing this box\'s budget instead', async (t) => {
  const args = ['--site', 'branch-9', '--broker', 'mqtt://127.0.0.1:1', '--key-file', join('/nonexistent', 'command.key')];
  const status = await runCli(['status', ...args]);
  const shown = await runCli(['budget', 'show', ...args]);
  t.not(shown.code, 0);
  t.equal(shown.code, status.code);
  t.match(shown.stderr, /nonexistent/);
  t.notMatch(shown.stdout, /power budget/);
});
