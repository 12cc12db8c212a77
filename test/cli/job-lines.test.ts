import t from 'tap';
import { join } from 'node:path';
import { describeProgress } from '../../daemon/cli/job-lines.js';
import { listJobs } from '../../daemon/scheduler/control-handlers.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { tempDir } from '../helpers/paths.js';

/**
 * `earshot jobs list` and `jobs get` showed a long recording's progress as "496 segments done,
 * through 45:35", which says nothing of how far that is: of an hour, or of three?
 */
t.test("a running job's progress says how much of the recording that is, where its length is known", async (t) => {
  t.equal(describeProgress({ segments: 496, throughSec: 2735.4 }, 3641.9), '496 segments done, through 45:35 of 1:00:41 (75 %)');
  t.equal(describeProgress({ segments: 3, throughSec: 12 }), '3 segments done, through 0:12', 'a length not known: as before');
  t.equal(describeProgress({ segments: 9, throughSec: 61 }, 60), '9 segments done, through 1:01 of 1:00 (100 %)', 'a header that said less than there was: never past 100 %');
});

t.test('jobs list gives each job the length of its audio, so the CLI can say it', async (t) => {
  const queue = new JobQueue({ dir: join(tempDir(), 'queue'), logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3 });
  await queue.start();
  t.teardown(() => queue.stop());
  await queue.submit({ id: 'f-000000000000000000000001', input: '/srv/rec/board.wav', priority: 'batch', audioSeconds: 3641.9 });
  const { jobs } = await listJobs(queue, 'pending');
  t.equal(jobs[0]?.audioSeconds, 3641.9);
});
