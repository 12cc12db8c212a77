import t from 'tap';
import { runCli } from '../helpers/daemon-process.js';
import { budgetedDaemon } from './helpers/budgeted-daemon.js';
import type { StatusResult } from '../../daemon/control/methods.js';

t.test('earshot status says why the scheduler is paused', async (t) => {
  // Idle 40 W + 7 W a thread: a 15 W budget leaves no thread.
  const daemon = await budgetedDaemon(t, 15);

  const reason = 'power budget 15 W is below idle + one thread (47.0 W): batch work paused; live and interactive work run on one thread';
  let scheduler: StatusResult['components'][number] | undefined;
  for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const status = await runCli(['status', '--json', '--socket', daemon.socket]);
    t.equal(status.code, 0, status.stderr);
    scheduler = (JSON.parse(status.stdout) as StatusResult).components.find((c) => c.name === 'scheduler');
    if (scheduler?.state === 'paused') break;
  }
  t.equal(scheduler?.state, 'paused');
  t.match(scheduler?.detail, reason, 'the JSON component detail carries the reason');
  const text = await runCli(['status', '--socket', daemon.socket]);
  const line = text.stdout.split('\n').find((l) => /^ +scheduler +paused /.test(l));
  t.ok(line?.includes(reason), `the text line has it too:\n${text.stdout}`);
});
