import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startDaemon } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';
import type { FleetOffersList } from '../../daemon/pipeline/fleet-bridge.js';
import { PAYLOAD_VERSION } from '../../daemon/mqtt/payloads/status.js';

/**
 * A rollback: the fleet offer store holds an offer and a result a later release wrote, in a
 * format this one does not know, beside a result an older release wrote (no format). The
 * older one is listed as before; the newer two are named in an error and left as they are:
 * not listed, not offered again, and the result, past its retention, not deleted. Fleet
 * sharing is off (as in fleet-offers-command.test.ts): the store is read at start all the same.
 */
t.test('fleet offers and results of a later format are left as they are; older ones are read as before', async (t) => {
  const dataDir = join(tempDir('earshot-fleet-newer-'), 'data');
  for (const d of ['offers', 'results']) mkdirSync(join(dataDir, 'fleet', d), { recursive: true });
  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3600_000).toISOString();
  const done = (jobId: string, ts: string) => ({ v: PAYLOAD_VERSION, jobId, attempt: 1, takenBy: 'branch-7', ts, status: 'ok', result: { text: `text of ${jobId}` } });
  const files = new Map<string, string>([
    // As the release before formats wrote it.
    [join(dataDir, 'fleet', 'results', 'f-older.json'), JSON.stringify({ id: 'f-older', input: '/srv/older.wav', offeredAt: at(2), round: 1, finishedAt: at(1), done: done('f-older', at(1)) })],
    // Ten days old: past the 7 days a done result is kept, were it this release's.
    [join(dataDir, 'fleet', 'results', 'f-newer.json'), JSON.stringify({ format: 2, id: 'f-newer', input: { path: '/srv/newer.wav' }, offeredAt: at(241), round: 1, finishedAt: at(240), done: done('f-newer', at(240)) })],
    [join(dataDir, 'fleet', 'offers', 'f-waiting.json'), JSON.stringify({ format: 2, id: 'f-waiting', input: { path: '/srv/waiting.wav' }, offeredAt: at(1), round: 1 })],
  ]);
  for (const [file, text] of files) writeFileSync(file, text);

  const daemon = await startDaemon({ dataDir });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const json = await runCli(['jobs', 'offers', '--json', '--socket', daemon.socket]);
  t.equal(json.code, 0, json.stderr);
  const list = JSON.parse(json.stdout) as FleetOffersList;
  t.same(list.done.map((d) => [d.id, d.text]), [['f-older', 'text of f-older']], 'the older result, as before; not the newer one');
  t.same(list.outstanding, [], 'the newer offer is not taken up');
  for (const id of ['f-newer', 'f-waiting']) {
    const file = [...files.keys()].find((f) => f.endsWith(`/${id}.json`))!;
    t.match(daemon.output(), `fleet: ${file} is in format 2, written by a newer earshotd; this one reads format 1 at most; left as it is, neither offered again nor pruned; start that release again to finish it`);
  }
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
  for (const [file, text] of files) t.equal(readFileSync(file, 'utf8'), text, `${file} is as it was`);
});
