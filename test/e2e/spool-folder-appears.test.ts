import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startDaemonOnFreePort, runCli, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import type { StatusResult } from '../../daemon/control/methods.js';

/**
 * A spool folder on a share not mounted yet (or a mistyped path) is not made by the daemon:
 * the source is failed, says why in `earshot status`, and starts once the folder appears.
 */
t.test('a missing spool folder is not made: the source is failed, naming it, and picks up recordings once it appears', async (t) => {
  const root = tempDir('earshot-e2e-late-spool-');
  const mountPoint = join(root, 'nas');
  mkdirSync(mountPoint);
  const spool = join(mountPoint, 'recordings');
  const { daemon, port } = await startDaemonOnFreePort((port) => spoolPipelineConfig({ siteId: 'late', spool, port, dataDir: join(root, 'data') }));
  t.teardown(() => void daemon.child.kill('SIGKILL'));

  const sourcesState = async () => {
    const res = await runCli(['status', '--json', '--socket', daemon.socket]);
    t.equal(res.code, 0, res.stderr);
    return (JSON.parse(res.stdout) as StatusResult).components.find((c) => c.name === 'sources');
  };
  t.match(await sourcesState(), { state: 'degraded', detail: new RegExp(`^inbox:failed \\(spool folder ${spool} does not exist; create it, mount its share or correct the path .*; next try in \\d+ s\\)$`) });
  const check = await runCli(['status', '--check', '--json', '--socket', daemon.socket]);
  t.equal(check.code, 6, 'status --check fails while a source is failed');
  t.match(JSON.parse(check.stdout), { healthy: false, problems: ['sources: source inbox failed'] });
  t.match(daemon.output(), /ERROR earshot:sources source failed to start; the other sources keep running source=inbox kind=spool error="spool folder .*recordings does not exist/);
  // Tries follow 1 s, 2 s, 4 s… apart, so a next try 3 s or more away is shown only once the
  // third try (the second retry) has failed too. Polled: it shows for seconds, and a status
  // call takes a while on a loaded box.
  const deadline = Date.now() + 60_000;
  let nextTrySec = 0;
  while (nextTrySec < 3 && Date.now() < deadline) {
    nextTrySec = Number(/next try in (\d+) s/.exec((await sourcesState())?.detail ?? '')?.[1] ?? 0);
  }
  t.ok(nextTrySec >= 3, 'two more tries failed');
  t.same(readdirSync(mountPoint), [], 'none of them made anything at the missing path');

  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  t.teardown(() => subscriber.endAsync(true));
  const transcripts: TranscriptPayload[] = [];
  subscriber.on('message', (_topic, payload) => transcripts.push(JSON.parse(payload.toString()) as TranscriptPayload));
  await subscriber.subscribeAsync('earshot/late/transcript/#', { qos: 1 });

  // The share is mounted: the folder appears, with a recording in it.
  mkdirSync(spool);
  copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), join(spool, 'meeting.wav.part'));
  renameSync(join(spool, 'meeting.wav.part'), join(spool, 'meeting.wav'));
  await waitFor(() => existsSync(join(spool, 'done', 'meeting.wav')), 40_000, 'meeting.wav in done/');
  await waitFor(() => transcripts.length >= 2, 30_000, 'the recording transcribed');
  t.ok(transcripts.every((tr) => tr.sourceId === 'inbox' && tr.recording === 'meeting.wav'), 'transcripts of the recording');
  t.match(await sourcesState(), { state: 'running', detail: 'inbox:running' });
  t.match(JSON.parse((await runCli(['status', '--json', '--socket', daemon.socket])).stdout), { healthy: true, problems: [] });
  t.match(daemon.output(), /INFO +earshot:sources source started source=inbox kind=spool attempt=\d+/);

  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
