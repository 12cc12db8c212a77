import t from 'tap';
import type { JobResultPayload } from '../../../daemon/mqtt/payloads/job.js';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/paths.js';
import { offererOn, startBox } from '../helpers/fleet-boxes.js';

t.test('three boxes share 60 jobs over Mosquitto exactly once, with one killed halfway', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const dir = tempDir();
  // Three daemons, each in its own process; box A gets killed.
  const boxes = ['box-a', 'box-b', 'box-c'].map((site) => startBox(t, broker.url, 'office', site, dir));
  const a = boxes[0]!;
  await Promise.all(boxes.map((x) => x.box.waitFor((l) => l.includes('ready'), 60_000, `${x.siteId} ready`)));
  const offerer = await offererOn(t, broker.url, 'office');

  const results = new Map<string, JobResultPayload>();
  const all = Array.from({ length: 60 }, (_, i) => {
    const jobId = `job-${String(i).padStart(2, '0')}`;
    return offerer.offer(jobId, { file: `/spool/${jobId}.wav` }).then((d) => results.set(jobId, d));
  });

  // Kill box A while it is in the middle of a job, once half the work is done.
  await a.box.waitFor(() => results.size >= 30, 30_000, 'half the jobs');
  const startsBefore = a.box.lines.filter((l) => l.startsWith('start')).length;
  await a.box.waitFor((l) => l.filter((x) => x.startsWith('start')).length > startsBefore, 10_000, 'box-a starting a job');
  a.box.child.kill('SIGKILL');
  const killedDuring = a.box.lines.filter((l) => l.startsWith('start ')).at(-1)!.slice(6);

  await Promise.all(all);
  t.equal(results.size, 60, 'every job has a result');
  t.ok([...results.values()].every((d) => d.status === 'ok'));
  const completions = boxes.flatMap((b) => b.completed());
  t.equal(completions.length, 60, 'sixty completions in all: none twice');
  t.equal(new Set(completions).size, 60, 'each job completed once');
  t.notOk(a.completed().includes(killedDuring), `the job box-a died in (${killedDuring}) was not completed there`);
  t.equal(results.get(killedDuring)?.takenBy !== 'box-a', true, 'and was finished by a surviving box');
  const byBox = Object.fromEntries(boxes.map((b) => [b.siteId, b.completed().length]));
  t.ok(byBox['box-a']! > 0 && byBox['box-b']! > 0 && byBox['box-c']! > 0, `all three worked: ${JSON.stringify(byBox)}`);
  t.ok(offerer.stats().reoffered >= 1, `jobs held by box-a were offered again (${offerer.stats().reoffered})`);
  for (const x of boxes.slice(1)) x.box.child.kill('SIGTERM');
  await Promise.all(boxes.map((x) => x.box.exited()));
});

