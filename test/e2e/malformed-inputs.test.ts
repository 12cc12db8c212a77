import t from 'tap';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startDaemonOnFreePort, runCli, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { malformedFiles, multichannel, pcmOf, wavBytes } from '../helpers/malformed-audio.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';
import { callDaemonUntyped } from '../../daemon/control/client.js';
import type { SubmitResult } from '../../daemon/scheduler/control-handlers.js';
import type { FailedRecord } from '../../daemon/scheduler/job-queue.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';

/**
 * Issue #9, "must show" 2: every malformed recording — dropped into a spool folder or
 * submitted with `earshot jobs submit` — fails its own job with an error naming the file
 * and the problem, good recordings between them are still transcribed, and the daemon that
 * did all this is the same process at the end.
 */
t.test('malformed recordings fail one by one; good ones between them are transcribed; the daemon keeps its pid', async (t) => {
  const good = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const bad = malformedFiles(good);
  const spool = tempDir('earshot-e2e-malformed-spool-');
  const { daemon, port } = await startDaemonOnFreePort((port) => spoolPipelineConfig({ siteId: 'bad-input', spool, port }));
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const pid = daemon.child.pid;
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  const transcripts = new Map<string, TranscriptPayload>();
  subscriber.on('message', (_topic, payload) => {
    const tr = JSON.parse(payload.toString()) as TranscriptPayload;
    transcripts.set(tr.id, tr);
  });
  await subscriber.subscribeAsync('earshot/bad-input/transcript/#', { qos: 1 });

  // Good recordings before, between and after the bad ones; an 8-channel recording with a
  // consistent header is valid audio (mixed down), so it belongs with the good ones.
  const goodFiles: Array<[string, Buffer]> = [
    ['good-first.wav', good],
    ['good-8ch.wav', wavBytes({ channels: 8, data: multichannel(pcmOf(good), 8) })],
    ['good-middle.wav', good],
    ['good-last.wav', good],
  ];
  const order: Array<[string, Buffer]> = [goodFiles[0]!, ...bad.slice(0, 6).map((b): [string, Buffer] => [b.name, b.bytes]), goodFiles[1]!, goodFiles[2]!, ...bad.slice(6).map((b): [string, Buffer] => [b.name, b.bytes]), goodFiles[3]!];
  // Oldest first is the spool's order: give each file its own mtime in the past, and write
  // it under .part so the watcher never sees it half-written.
  const base = Date.now() / 1000 - 600;
  for (const [i, [name, bytes]] of order.entries()) {
    writeFileSync(join(spool, `${name}.part`), bytes);
    utimesSync(join(spool, `${name}.part`), base + i, base + i);
    renameSync(join(spool, `${name}.part`), join(spool, name));
  }
  // A directory with an audio name is not a recording: left alone, never a crash.
  mkdirSync(join(spool, 'folder.wav'));

  const left = () => readdirSync(spool).filter((n) => n !== 'done' && n !== 'failed' && n !== 'folder.wav');
  await waitFor(() => left().length === 0, 60_000, `the spool to empty (left: ${left().join(', ')})`);
  for (const b of bad) {
    t.ok(existsSync(join(spool, 'failed', b.name)), `${b.name} moved to failed/`);
    const reason = readFileSync(join(spool, 'failed', `${b.name}.reason.txt`), 'utf8');
    t.match(reason, b.name, `${b.name}: the reason names the file`);
    t.match(reason, b.problem, `${b.name}: the reason names the problem: ${reason.split('\n')[1]}`);
  }
  for (const [name] of goodFiles) t.ok(existsSync(join(spool, 'done', name)), `${name} moved to done/`);
  t.ok(existsSync(join(spool, 'folder.wav')), 'the directory named folder.wav is left where it was');
  // Each good recording holds two stretches of speech.
  await waitFor(() => transcripts.size >= 2 * goodFiles.length, 60_000, `${2 * goodFiles.length} transcripts (have ${transcripts.size})`);
  t.equal(transcripts.size, 2 * goodFiles.length, 'two transcripts per good recording, none from the bad ones');

  // The same files through `earshot jobs submit`: each becomes a job that fails on its own.
  const inbox = tempDir('earshot-e2e-malformed-submit-');
  for (const b of bad) writeFileSync(join(inbox, b.name), b.bytes);
  writeFileSync(join(inbox, 'good.wav'), good);
  const paths = [...bad.map((b) => join(inbox, b.name)), join(inbox, 'good.wav')];
  const submit = await runCli(['jobs', 'submit', ...paths, '--json', '--socket', daemon.socket]);
  t.equal(submit.code, 0, submit.stderr);
  const submitted = (JSON.parse(submit.stdout) as SubmitResult).submitted;
  t.equal(submitted.length, paths.length, 'every file was queued as its own job');
  const idOf = new Map(submitted.map((s) => [s.input, s.id]));

  const dataDir = join(daemon.dir, 'data');
  const finished = (id: string) => existsSync(join(dataDir, 'queue', 'done', `${id}.json`)) || existsSync(join(dataDir, 'queue', 'failed', `${id}.json`));
  await waitFor(() => submitted.every((s) => finished(s.id)), 60_000, 'every submitted job to finish');
  for (const b of bad) {
    const path = join(inbox, b.name);
    const file = join(dataDir, 'queue', 'failed', `${idOf.get(path)}.json`);
    t.ok(existsSync(file), `${b.name}: a failed job record`);
    if (!existsSync(file)) continue;
    const record = JSON.parse(readFileSync(file, 'utf8')) as FailedRecord;
    t.match(record.error, path, `${b.name}: the job error names the file`);
    t.match(record.error, b.problem, `${b.name}: the job error names the problem: ${record.error}`);
  }
  t.ok(existsSync(join(dataDir, 'queue', 'done', `${idOf.get(join(inbox, 'good.wav'))}.json`)), 'the good file submitted with them is done');
  await waitFor(() => transcripts.size >= 2 * goodFiles.length + 2, 30_000, 'the submitted good file’s transcripts');
  const goodPath = join(inbox, 'good.wav');
  t.equal([...transcripts.values()].filter((tr) => tr.recording === goodPath).length, 2, 'transcripts of a submitted file name the path it was submitted as');

  // A directory is refused at the door, with the reason, over the control socket itself.
  mkdirSync(join(inbox, 'folder.wav'));
  const dirReply = (await callDaemonUntyped('jobs.submit', { paths: [join(inbox, 'folder.wav')] }, { socket: daemon.socket })) as SubmitResult;
  t.same(dirReply.submitted, [], 'no job for a directory');
  t.match(dirReply.errors[0]?.error ?? '', /not a regular file/);

  const status = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(status.code, 0, status.stderr);
  t.equal(JSON.parse(status.stdout).pid, pid, 'the same daemon process served everything');
  t.equal(daemon.child.exitCode, null, 'and it is still running');

  await subscriber.endAsync(true);
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
