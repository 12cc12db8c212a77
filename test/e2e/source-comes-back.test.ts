import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startDaemon } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';

interface Status {
  components: Array<{ name: string; state: string; detail?: string }>;
}

async function sourcesComponent(socket: string): Promise<{ state: string; detail?: string }> {
  const res = await runCli(['status', '--json', '--socket', socket]);
  if (res.code !== 0) throw new Error(res.stderr);
  return (JSON.parse(res.stdout) as Status).components.find((c) => c.name === 'sources')!;
}

/**
 * A real daemon whose socket source lives in a folder made only later (by tmpfiles, a
 * mount, another service): `earshot status` says why it failed and when it is tried next,
 * and the source starts once the folder is there, without a restart.
 */
t.test('a source whose folder appears later starts by itself, and status says what it waits for', async (t) => {
  const folder = join(tempDir('earshot-e2e-late-'), 'run-later');
  const daemon = await startDaemon({ siteId: 'late-source', sources: [{ id: 'late', type: 'socket', path: join(folder, 'mic.sock') }], vad: { detector: 'energy' } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const failing = await sourcesComponent(daemon.socket);
  t.equal(failing.state, 'degraded');
  t.match(failing.detail, /^late:failed \(listen (EACCES|ENOENT)[^)]*; next try in \d+ s\)$/, 'why, and when it is tried next');
  const pid = daemon.child.pid;
  mkdirSync(folder);
  let now = failing;
  const until = Date.now() + 15_000;
  while (now.state !== 'running' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    now = await sourcesComponent(daemon.socket);
  }
  t.equal(now.state, 'running', 'the source started');
  t.equal(now.detail, 'late:running');
  t.equal(daemon.child.pid, pid, 'the same process');
  t.match(daemon.output(), /source started/);
});
