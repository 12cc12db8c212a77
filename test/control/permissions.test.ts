import t from 'tap';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ControlServer } from '../../daemon/control/server.js';
import { LogSink } from '../../daemon/log/logger.js';
import { tempDir } from '../helpers/paths.js';

/**
 * Who may use the control socket is decided by the kernel: the socket file is 0660 owned
 * by the daemon's user and the earshot group, so only root, that user and the group's
 * members can connect. This drives a real client as other users to prove it.
 */
const CLIENT = `
const s = require('node:net').connect(process.argv[1]);
s.on('connect', () => s.write(JSON.stringify({ id: 1, method: 'status' }) + '\\n'));
s.on('data', (d) => { process.stdout.write(d.toString()); process.exit(0); });
s.on('error', (e) => { process.stdout.write('ERR ' + e.code); process.exit(0); });
`;

/** Runs the client as another user and group (setpriv, util-linux) and returns what it printed. */
function connectAs(user: string, group: string, socket: string): Promise<string> {
  const args = ['--reuid', user, '--regid', group, '--clear-groups', process.execPath, '-e', CLIENT, socket];
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out)); // 'close', not 'exit': only then has all it printed been read
  });
}

t.test('only the owner, root and the socket group can talk to the daemon', async (t) => {
  t.equal(process.getuid?.(), 0, 'runs as root (as CI does) so it can act as other users');
  const dir = tempDir('perm-');
  chmodSync(dir, 0o755); // the directory is not what this test is about: only the socket's mode
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { mode: 0o755 });
  chmodSync(runDir, 0o755);
  const socket = join(runDir, 'control.sock');
  const logs = new LogSink({ level: 'error', format: 'text', write: () => undefined });
  const server = new ControlServer({ config: { socket, mode: '0660', maxRequestBytes: 4096, requestTimeoutMs: 1000, maxConnections: 64 }, logger: logs.logger('control') });
  server.registerUntyped('status', { handler: () => ({ ok: true }) });
  await server.start();
  t.teardown(() => server.stop());
  // The socket belongs to root and group "nogroup" here, standing in for earshot:earshot.
  chownSync(socket, 0, 65534);

  t.match(await connectAs('nobody', 'nogroup', socket), /"status":"ok"/, 'a member of the socket group is served');
  t.match(await connectAs('daemon', 'daemon', socket), /ERR EACCES/, 'another user outside the group is refused by the kernel');
});
