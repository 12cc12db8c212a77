import t from 'tap';
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDaemonOnFreePort, runCli } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';

t.test('any daemon command acts on a remote site with --site over MQTT, signed with the shared key', async (t) => {
  const keyDir = tempDir('key-');
  const keyFile = join(keyDir, 'command.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n');
  chmodSync(keyFile, 0o600);
  const { daemon, port } = await startDaemonOnFreePort((port) => ({ siteId: 'branch-9', mqtt: { url: null, embedded: { host: '127.0.0.1', port }, commands: { enabled: true, keyFile } } }));
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const broker = `mqtt://127.0.0.1:${port}`;
  const remote = await runCli(['status', '--json', '--site', 'branch-9', '--broker', broker, '--key-file', keyFile]);
  t.equal(remote.code, 0, remote.stderr);
  t.match(JSON.parse(remote.stdout), { site: 'branch-9', pid: daemon.child.pid });

  const wrongKey = join(keyDir, 'wrong.key');
  writeFileSync(wrongKey, randomBytes(32).toString('hex') + '\n');
  chmodSync(wrongKey, 0o600);
  const refused = await runCli(['status', '--site', 'branch-9', '--broker', broker, '--key-file', wrongKey]);
  t.not(refused.code, 0, 'a command signed with another key gets no answer');
  t.match(refused.stderr, /no reply from site branch-9[^]*the key \(--key-file\) differs/, 'the timeout names the likely causes');
  t.match(daemon.output(), /remote command refused \(unauthorized\): bad signature/, 'the daemon logs why');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
});
