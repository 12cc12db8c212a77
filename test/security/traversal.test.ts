import t from 'tap';
import { chmodSync, existsSync, lstatSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startDaemon, startDaemonOnFreePort, runCli, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { callDaemonUntyped } from '../../daemon/control/client.js';
import type { SubmitResult } from '../../daemon/scheduler/control-handlers.js';

/**
 * Issue #9, "must show" 3: `../../etc/passwd` — as a source id in the config, as a job id
 * over the control socket, and as an argument of a signed MQTT command — is refused with a
 * reason, and nothing is written outside the configured directories.
 */
const TRAVERSAL = '../../etc/passwd';
// Deep enough to leave any temp directory and land in /tmp if it were ever joined.
const escapeName = `earshot-escape-${process.pid}-${Date.now()}`;
const DEEP = `${'../'.repeat(12)}tmp/${escapeName}`;

/** Everything a traversal could have created, if any code joined the id to a directory. */
function escapeTargets(): string[] {
  return ['/etc/passwd.json', '/etc/passwd.wav', '/etc/passwd.wav.json', `/tmp/${escapeName}`, `/tmp/${escapeName}.json`, `/tmp/${escapeName}.wav`];
}

t.test('a source id of ../../etc/passwd is refused by config validation and by earshotd', async (t) => {
  const dir = tempDir('earshot-traversal-config-');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ siteId: 'trav', dataDir: join(dir, 'data'), control: { socket: join(dir, 'c.sock') }, sources: [{ id: TRAVERSAL, type: 'spool', dir: join(dir, 'spool') }] }));
  const validate = await runCli(['config', 'validate', config]);
  t.not(validate.code, 0, 'earshot config validate refuses it');
  t.match(validate.stdout + validate.stderr, /sources(\[0\]|\/0)\.?\/?id/, 'naming the key');

  const err = await startDaemon({ sources: [{ id: TRAVERSAL, type: 'spool', dir: join(dir, 'spool') }] }).then(
    (d) => {
      d.child.kill('SIGKILL');
      return null;
    },
    (e: Error) => e,
  );
  t.ok(err, 'earshotd refuses to start');
  t.match(err?.message ?? '', /exited early \(78\)/, 'with EX_CONFIG');
  t.match(err?.message ?? '', /sources\[0\]\.id/, 'naming the key');
  t.notOk(existsSync(join(dir, 'spool')), 'and creates nothing for the refused source');
});

t.test('../../etc/passwd as a job id or path over the control socket and as signed MQTT command arguments is refused', async (t) => {
  const root = tempDir('earshot-traversal-');
  const keyFile = join(root, 'command.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'));
  chmodSync(keyFile, 0o600);
  const audio = join(root, 'in');
  mkdirSync(audio);
  const good = join(audio, 'good.wav');
  writeFileSync(good, readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav')));
  // Remote callers may only name files inside a spool folder; one kept in a subfolder is not picked up by the watcher.
  const spool = join(root, 'spool');
  mkdirSync(join(spool, 'keep'), { recursive: true });
  const goodInSpool = join(spool, 'keep', 'good.wav');
  writeFileSync(goodInSpool, readFileSync(good));
  const passwd = statSync('/etc/passwd');
  const { daemon, port } = await startDaemonOnFreePort((port) => ({
    siteId: 'trav',
    dataDir: join(root, 'data'),
    mqtt: { url: null, embedded: { host: '127.0.0.1', port }, commands: { enabled: true, keyFile } },
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    sources: [{ id: 'drop', type: 'spool', dir: spool }],
  }));
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const socket = { socket: daemon.socket };

  // Control socket: the job id names a file in the queue directory.
  for (const id of [TRAVERSAL, DEEP, '..', 'a/b', 'x\0y']) {
    const r = (await callDaemonUntyped('jobs.submit', { paths: [good], id }, socket)) as SubmitResult;
    t.same(r.submitted, [], `job id ${JSON.stringify(id)}: nothing queued`);
    t.match(r.errors[0]?.error ?? '', /invalid job id/, `job id ${JSON.stringify(id)}: refused as an invalid job id`);
  }
  await t.rejects(callDaemonUntyped('jobs.get', { ids: [TRAVERSAL] }, socket), /invalid job id/, 'jobs.get refuses it too');
  const relative = (await callDaemonUntyped('jobs.submit', { paths: [TRAVERSAL] }, socket)) as SubmitResult;
  t.same(relative.submitted, []);
  t.match(relative.errors[0]?.error ?? '', /must be absolute/, 'a relative input path is refused');

  // MQTT: the same arguments in signed commands, through the real CLI.
  const call = (method: string, params: Record<string, unknown>) =>
    runCli(['mqtt', 'call', method, '--site', 'trav', '--broker', `mqtt://127.0.0.1:${port}`, '--key-file', keyFile, '--params', JSON.stringify(params), '--json']);
  const outside = await call('jobs.submit', { paths: [good] });
  t.not(outside.code, 0, 'MQTT jobs.submit of a file outside the spool folders is refused');
  t.match(outside.stdout + outside.stderr, /not inside a spool folder/);
  const submitted = await call('jobs.submit', { paths: [goodInSpool], id: TRAVERSAL });
  t.equal(submitted.code, 0, submitted.stderr);
  const sr = JSON.parse(submitted.stdout) as SubmitResult;
  t.same(sr.submitted, [], 'MQTT jobs.submit with a traversal id queues nothing');
  t.match(sr.errors[0]?.error ?? '', /invalid job id/);
  const relativeMqtt = await call('jobs.submit', { paths: [TRAVERSAL] });
  t.not(relativeMqtt.code, 0, 'MQTT jobs.submit with a relative traversal path is refused');
  t.match(relativeMqtt.stdout + relativeMqtt.stderr, /not inside a spool folder/);
  const get = await call('jobs.get', { ids: [DEEP] });
  t.not(get.code, 0, 'MQTT jobs.get with a traversal id is refused');
  t.match(get.stdout + get.stderr, /invalid job id/);
  const plugin = await call('plugins.enable', { name: TRAVERSAL });
  t.not(plugin.code, 0, 'MQTT plugins.enable with a traversal name is refused');
  t.match(plugin.stdout + plugin.stderr, /unknown plugin|no plugin/i);

  // A remote job for a file in a spool subfolder waits (batch work held by a low power
  // budget); meanwhile whoever writes to the spool swaps that subfolder for a link to
  // elsewhere. When the job runs, the file is read as the kernel opens it: outside, refused.
  await callDaemonUntyped('budget.set', { powerBudgetWatts: 1 }, socket);
  // Inside keep/: the watcher lists only the spool's top level (a link there would be moved aside).
  const later = join(spool, 'keep', 'later');
  mkdirSync(later);
  writeFileSync(join(later, 'meeting.wav'), readFileSync(good));
  writeFileSync(join(audio, 'meeting.wav'), readFileSync(good));
  const held = await call('jobs.submit', { paths: [join(later, 'meeting.wav')], id: 'held-remote' });
  t.equal(held.code, 0, held.stderr);
  t.equal((JSON.parse(held.stdout) as SubmitResult).submitted[0]?.state, 'pending', 'the remote job is queued, and held');
  renameSync(later, `${later}-old`);
  symlinkSync(audio, later);
  await callDaemonUntyped('budget.set', { powerBudgetWatts: null }, socket);
  await waitFor(() => existsSync(join(root, 'data', 'queue', 'failed', 'held-remote.json')), 30_000, 'the held job to fail');
  const failed = JSON.parse(readFileSync(join(root, 'data', 'queue', 'failed', 'held-remote.json'), 'utf8')) as { error: string };
  t.match(failed.error, new RegExp(`meeting\\.wav: cannot open: it leads to ${audio}/meeting\\.wav, outside the folders this caller may name`), 'it failed, naming where the path led');
  rmSync(later);
  renameSync(`${later}-old`, later);

  // A link dropped into the spool, to a recording outside it: never read, moved aside with the reason.
  symlinkSync(good, join(spool, 'looks-like-a-recording.wav'));
  const moved = join(spool, 'failed', 'looks-like-a-recording.wav');
  // The reason is written first and the link moved last: once the link is there, so is all of its reason.
  await waitFor(() => lstatSync(moved, { throwIfNoEntry: false }) !== undefined, 20_000, 'the link moved to failed/');
  t.match(readFileSync(`${moved}.reason.txt`, 'utf8'), /a symbolic link, not a recording/, 'a link in the spool is refused with the reason');
  t.ok(lstatSync(moved).isSymbolicLink(), 'the link itself was moved, its target left alone');
  t.ok(existsSync(good));
  t.same(readdirSync(join(root, 'data', 'queue', 'done')), [], 'and nothing it points to was transcribed');

  // Nothing landed outside, nothing was queued inside, /etc/passwd untouched.
  for (const target of escapeTargets()) t.notOk(existsSync(target), `${target} was not created`);
  t.same(readdirSync(join(root, 'data', 'queue', 'pending')), [], 'no job was queued');
  const after = statSync('/etc/passwd');
  t.equal(after.mtimeMs, passwd.mtimeMs, '/etc/passwd was not written');
  t.equal(after.size, passwd.size);
  t.same(readdirSync(root).sort(), ['command.key', 'data', 'in', 'spool'], 'nothing new beside the configured directories');

  const status = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(JSON.parse(status.stdout).pid, daemon.child.pid, 'the daemon kept running');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
