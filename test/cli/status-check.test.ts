import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';
import type { StatusResult } from '../../daemon/control/methods.js';

/**
 * `earshot status --check` for monitoring: 0 while every component is well, 6 while the
 * daemon runs with something to mend, named in `problems` (here: its broker gone, with
 * transcripts waiting in the outbox), and 0 again once it is mended. A real daemon and a
 * real Mosquitto, stopped and started again.
 */
t.test('status --check exits 6 naming the problem while the broker is away, 0 before and after', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const root = tempDir('earshot-status-check-');
  mkdirSync(join(root, 'spool'));
  const daemon = await startDaemon(spoolPipelineConfig({ siteId: 'check', spool: join(root, 'spool'), brokerUrl: broker.url, dataDir: join(root, 'data') }));
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const check = async () => {
    const r = await runCli(['status', '--check', '--json', '--socket', daemon.socket]);
    return { code: r.code, status: JSON.parse(r.stdout) as StatusResult };
  };
  await waitFor(() => /MQTT connected|connected to MQTT/i.test(daemon.output()), 20_000, 'the daemon to connect');
  const before = await check();
  t.match(before, { code: 0, status: { healthy: true, problems: [] } }, `healthy once connected: ${JSON.stringify(before.status.problems)}`);

  await broker.stop();
  let away = await check();
  const deadline = Date.now() + 20_000;
  while (away.code === 0 && Date.now() < deadline) away = await check();
  t.match(away, { code: 6, status: { healthy: false, problems: [/^mqtt: not connected to the broker \((reconnecting|connecting)\); transcripts wait in the outbox$/] } });
  const plain = await runCli(['status', '--socket', daemon.socket]);
  t.equal(plain.code, 0, 'without --check, status still exits 0');
  t.match(plain.stdout, /problems:\n {2}mqtt: not connected to the broker/);

  await broker.start();
  let back = await check();
  const again = Date.now() + 30_000;
  while (back.code !== 0 && Date.now() < again) back = await check();
  t.match(back, { code: 0, status: { healthy: true, problems: [] } }, 'well again once it reconnected');

  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
