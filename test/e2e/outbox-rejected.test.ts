import t from 'tap';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { restartDaemon, runCli, startDaemon, type RunningDaemon } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { fixturesDir } from '../helpers/paths.js';
import { sandbox } from '../daemon-plugins/sandbox.js';
import { archiver, idsOf } from '../mqtt/helpers/delivery.js';
import type { RejectedShelfListing } from '../../daemon/mqtt/outbox/rejected-shelf.js';
import { keepRejected } from '../../daemon/mqtt/outbox/rejected-messages.js';
import { sampleTranscript } from '../mqtt/helpers/transcripts.js';

/** The data directory startDaemon gave the daemon (`<its dir>/data`). */
const dataDirOf = (d: RunningDaemon): string => join(d.dir, 'data');

const SITE = 'rejected-e2e';
const MAX_PACKET = 4096;

/**
 * A real earshotd on MQTT 3.1.1, without mqtt.maxPacketBytes, in front of a Mosquitto with
 * max_packet_size: the long transcripts of a recording (a plugin pads them) are set aside
 * after the broker closed the connection on them, the next ones go on, and the operator lists
 * them, raises the broker's limit, puts one back (published once, with its id) and deletes
 * the other.
 */
t.test('transcripts a 3.1.1 broker refuses by closing the connection: set aside, listed, requeued once the limit is raised, deleted', async (t) => {
  const broker = await new Mosquitto({ extraConfig: [`max_packet_size ${MAX_PACKET}`] }).start();
  t.teardown(() => broker.stop());
  const sb = sandbox(['padding']);
  const padWhile = join(sb.root, 'pad');
  writeFileSync(padWhile, '');
  const spool = join(sb.root, 'spool');
  mkdirSync(spool);
  const daemon = await startDaemon({
    siteId: SITE,
    mqtt: { url: broker.url, protocolVersion: 4, telemetryIntervalSec: 0, reconnect: { minDelayMs: 100, maxDelayMs: 400 } },
    sources: [{ id: 'desk', type: 'spool', dir: spool, settleMs: 200, pollMs: 100 }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
    plugins: { dirs: [sb.pluginsDir], config: { padding: { padWhile, words: 600 } }, timeoutMs: 2000 },
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const cli = (...args: string[]) => runCli([...args, '--config', daemon.configFile]);
  const listed = async () => JSON.parse((await cli('outbox', 'rejected', '--json')).stdout) as RejectedShelfListing;
  const drop = (name: string) => {
    copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), join(spool, `${name}.part`));
    renameSync(join(spool, `${name}.part`), join(spool, name));
  };
  const sub = await archiver(broker.url, 'archiver-rejected-e2e');
  t.teardown(() => sub.close());

  // The recording's two stretches of speech make two long transcripts.
  drop('long.wav');
  let shelf = await listed();
  for (let until = Date.now() + 60_000; shelf.rejected.length < 2 && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 500));
    shelf = await listed();
  }
  t.equal(shelf.rejected.length, 2, 'both long transcripts are in outbox/rejected/');
  t.ok(shelf.rejected.every((r) => r.reason === 'connection-closed' && r.bytes > MAX_PACKET), 'listed with why and their size');
  shelf.rejected.sort((a, b) => a.id.localeCompare(b.id));
  t.match(daemon.output(), /ERROR .*set aside: the broker closed the connection each of the last 3 times .*set mqtt\.maxPacketBytes/, 'the daemon says why, naming mqtt.maxPacketBytes');
  const text = await cli('outbox', 'rejected');
  t.equal(text.code, 0);
  t.match(text.stdout, new RegExp(`${shelf.rejected[0]!.id}  \\d+ bytes  rejected \\S+  connection-closed`), 'one line each: id, size, when, why');

  // The next transcripts are not held up.
  rmSync(padWhile);
  drop('short.wav');
  await sub.waitFor(() => idsOf(sub).length === 2, 60_000, 'the two short transcripts after them');
  t.notOk(shelf.rejected.some((r) => idsOf(sub).includes(r.id)), 'the long ones were not delivered');

  // The operator raises the broker's limit and puts one back.
  const conf = join(broker.dir, 'mosquitto.conf');
  await broker.stop();
  writeFileSync(conf, readFileSync(conf, 'utf8').replace(`max_packet_size ${MAX_PACKET}\n`, ''));
  await broker.start();
  const after = await archiver(broker.url, 'archiver-rejected-e2e-2');
  t.teardown(() => after.close());
  const [back, gone] = shelf.rejected;
  const requeue = await cli('outbox', 'requeue', back!.id);
  t.equal(requeue.code, 0, requeue.stderr);
  t.match(requeue.stdout, `${back!.id}  back in the outbox`);
  await after.waitFor(() => idsOf(after).includes(back!.id), 30_000, 'the requeued transcript');
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(idsOf(after).filter((id) => id === back!.id).length, 1, 'published once, with its own id');
  t.same((await listed()).rejected.map((r) => r.id), [gone!.id], 'only the other is left');

  const unknown = await cli('outbox', 'requeue', 'no-such-id');
  t.equal(unknown.code, 1, 'an id not in rejected/ exits 1');
  t.match(unknown.stderr, 'no-such-id  not found in outbox/rejected/');
  t.equal((await cli('outbox', 'requeue')).code, 2, 'nothing named exits 2');
  t.equal((await cli('outbox', 'delete', '--all', '--older-than', '1')).code, 2, 'two ways at once exit 2');
  const young = await cli('outbox', 'delete', '--older-than', '1', '--json');
  t.same(JSON.parse(young.stdout).done, [], 'none was rejected more than a day ago');
  const all = await cli('outbox', 'delete', '--all', '--json');
  t.equal(all.code, 0, all.stderr);
  t.same(JSON.parse(all.stdout), { done: [gone!.id], missing: [], errors: [], where: 'daemon' }, 'deleted through the daemon');
  t.same((await listed()).rejected, [], 'rejected/ is empty');
  t.equal(JSON.parse((await cli('outbox', '--json')).stdout).rejected.count, 0, 'earshot outbox counts none left');

  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-1500));

  // With no daemon, on the data directory: put back, and sent by the next start.
  const kept = { ...sampleTranscript(7, SITE), text: 'kept while the daemon was stopped' };
  await keepRejected(join(dataDirOf(daemon), 'outbox'), { id: kept.id, topic: `earshot/${SITE}/transcript/desk`, payload: JSON.stringify(kept), qos: 1, retain: false, at: Date.now() }, 'connection-closed', {});
  const direct = await cli('outbox', 'requeue', '--all', '--json');
  t.equal(direct.code, 0, direct.stderr);
  t.same(JSON.parse(direct.stdout), { done: [kept.id], missing: [], errors: [], where: 'data directory' }, 'put back in the data directory');
  t.match(JSON.parse((await cli('outbox', '--json')).stdout), { depth: 1, rejected: { count: 0 } }, 'in the outbox, no longer in rejected/');
  const again = await restartDaemon(daemon);
  t.teardown(() => {
    if (again.child.exitCode === null) again.child.kill('SIGKILL');
  });
  await after.waitFor(() => idsOf(after).includes(kept.id), 30_000, 'the transcript put back while the daemon was stopped');
  again.child.kill('SIGTERM');
  t.equal(await again.exited, 0, again.output().slice(-1500));
  t.equal(idsOf(after).filter((id) => id === kept.id).length, 1, 'published once');
});

t.test('requeue and delete refuse the data directory of a daemon that runs with another socket', async (t) => {
  const daemon = await startDaemon({ siteId: 'rejected-lock', mqtt: { url: null, embedded: { host: '127.0.0.1', port: 0 } } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const config = JSON.parse(readFileSync(daemon.configFile, 'utf8')) as Record<string, unknown>;
  const other = join(daemon.dir, 'other.json');
  writeFileSync(other, JSON.stringify({ ...config, control: { socket: join(daemon.dir, 'other.sock') } }));
  const r = await runCli(['outbox', 'delete', '--all', '--config', other]);
  t.equal(r.code, 1, 'refused');
  // oclif wraps the message at the terminal's width, each line behind a ›.
  t.match(r.stderr.replace(/\s*›\s*/g, ' '), /no earshotd answers on \S+other\.sock, but another one holds the data directory \S+; pass that daemon's --socket or --config/, 'says why and what to pass');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-1500));
});
