import t from 'tap';
import { copyFileSync, existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startDaemonOnFreePort, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';
import { SmallDisk } from '../helpers/small-disk.js';
import type { StatusResult } from '../../daemon/control/methods.js';

/**
 * A spool folder that is a share's mount point (sources[].requireMount), with a real tmpfs
 * mounted and unmounted on it: while nothing is mounted the source is failed, or its scans
 * fail, `earshot status --check` says so, and nothing is made in the local folder under the
 * mount point; mounted, its recordings are transcribed. Mounting needs root, as the CI
 * container has (SmallDisk says so otherwise).
 */
t.test('requireMount: an unmounted share is a problem, not an empty folder watched as if all were well', async (t) => {
  const share = new SmallDisk(32 * 1024 * 1024);
  t.teardown(() => share.unmount());
  const spool = share.dir;
  const { daemon } = await startDaemonOnFreePort((port) => {
    const config = spoolPipelineConfig({ siteId: 'mounted', spool, port, dataDir: join(tempDir('earshot-e2e-mount-'), 'data') });
    const [source] = config.sources as Array<Record<string, unknown>>;
    return { ...config, sources: [{ ...source, requireMount: true }] };
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const check = async () => {
    const r = await runCli(['status', '--check', '--json', '--socket', daemon.socket]);
    return { code: r.code, status: JSON.parse(r.stdout) as StatusResult };
  };
  const drop = (name: string) => {
    copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), join(spool, `${name}.part`));
    renameSync(join(spool, `${name}.part`), join(spool, name));
  };

  // Not mounted at the start: failed, and tried again.
  t.match(await check(), { code: 6, status: { problems: ['sources: source inbox failed'] } });
  t.match((await check()).status.components.find((c) => c.name === 'sources'), { detail: /inbox:failed \(spool folder .* is not a mount point: its share is not mounted/ });
  t.same(readdirSync(spool), [], 'no done/ or failed/ on the local disk under the mount point');

  share.mount();
  drop('first.wav');
  await waitFor(() => existsSync(join(spool, 'done', 'first.wav')), 60_000, 'the first recording transcribed once the share is mounted');
  let ok = await check();
  for (const until = Date.now() + 10_000; ok.code !== 0 && Date.now() < until; ) ok = await check();
  t.match(ok, { code: 0, status: { healthy: true } }, 'healthy while mounted');

  // The share goes away while the daemon runs.
  share.unmount();
  let away = await check();
  for (const until = Date.now() + 20_000; away.code === 0 && Date.now() < until; ) away = await check();
  t.match(away, { code: 6, status: { problems: [/^sources: source inbox: spool folder cannot be read: spool folder .* is not a mount point/] } });
  t.same(readdirSync(spool), [], 'done/ and failed/ are not made again on the local disk');

  share.mount();
  drop('second.wav');
  await waitFor(() => existsSync(join(spool, 'done', 'second.wav')), 60_000, 'a recording on the share mounted again');
  t.match(daemon.output(), /spool folder readable again/);

  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
