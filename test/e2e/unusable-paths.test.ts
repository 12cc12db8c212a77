import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchDaemon } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';

/**
 * A control socket or data directory the daemon cannot use where the config puts it (here:
 * under a regular file; on a box, a folder the earshot user may not write, or a read-only
 * one under ProtectSystem=strict) is a config problem: earshotd says which key and exits 78,
 * which the unit does not restart (RestartPreventExitStatus=78), instead of failing the same
 * way every 5 s.
 */
const EX_CONFIG = 78;

t.test('a control socket under a regular file: exit 78 naming control.socket', async (t) => {
  const dir = tempDir('earshot-e2e-paths-');
  const file = join(dir, 'not-a-folder');
  writeFileSync(file, '');
  const daemon = launchDaemon({ control: { socket: join(file, 'control.sock') }, mqtt: { url: null, embedded: { host: '127.0.0.1', port: 0 }, telemetryIntervalSec: 0 } });
  t.equal(await daemon.exited, EX_CONFIG);
  t.match(daemon.output(), /earshotd: control\.socket: cannot listen on .*not-a-folder\/control\.sock: (ENOTDIR|EEXIST).*; refusing to start/);
});

t.test('a data directory under a regular file: exit 78 naming dataDir', async (t) => {
  const dir = tempDir('earshot-e2e-paths-');
  const file = join(dir, 'not-a-folder');
  writeFileSync(file, '');
  const daemon = launchDaemon({ dataDir: join(file, 'data'), mqtt: { url: null, embedded: { host: '127.0.0.1', port: 0 }, telemetryIntervalSec: 0 } });
  t.equal(await daemon.exited, EX_CONFIG);
  t.match(daemon.output(), /earshotd: dataDir: cannot create .*not-a-folder\/data: (ENOTDIR|EEXIST).*; refusing to start/);
});

t.test('a data directory whose name is too long for the file system: exit 78 naming dataDir', async (t) => {
  const dir = tempDir('earshot-e2e-paths-');
  const daemon = launchDaemon({ dataDir: join(dir, 'd'.repeat(300)), mqtt: { url: null, embedded: { host: '127.0.0.1', port: 0 }, telemetryIntervalSec: 0 } });
  t.equal(await daemon.exited, EX_CONFIG);
  t.match(daemon.output(), /earshotd: dataDir: cannot create .*: ENAMETOOLONG.*; refusing to start/);
});
