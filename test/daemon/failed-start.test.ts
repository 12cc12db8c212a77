import t from 'tap';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { cleanEnv, earshotdBin, launchDaemon } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';

/** Resolves with the exit code, or 'still running' (and kills it) if it has not exited within `ms`. */
async function exitWithin(exited: Promise<number | string>, kill: () => void, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms)));
  const how = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (how === 'still running') {
    kill();
    await exited;
  }
  return how;
}

t.test('a control.socket path over the unix socket limit is a config error: exit 78, naming the setting, its length and the limit, and no socket anywhere', async (t) => {
  const dir = tempDir('long-socket-');
  const folder = join(dir, 'y'.repeat(120));
  mkdirSync(folder);
  const socket = join(folder, 'ctl.sock');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ siteId: 'long', dataDir: join(dir, 'data'), control: { socket }, mqtt: { embedded: { port: 0 } } }));
  const child = spawn(process.execPath, [earshotdBin, '--config', file], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  t.equal(await exitWithin(exited, () => child.kill('SIGKILL'), 15_000), 78, stderr);
  const bytes = Buffer.byteLength(socket);
  t.match(stderr, new RegExp(`^control\\.socket: is ${bytes} bytes long \\(.*ctl\\.sock\\); a unix socket path may have at most 107 bytes \\(hint: pick a shorter path, such as /run/earshot/control\\.sock\\)$`, 'm'));
  t.same(readdirSync(folder), [], 'no socket at the path');
  t.same(readdirSync(dir).sort(), ['config.json', 'y'.repeat(120)], 'nor at the path cut short to the limit');
  t.notOk(existsSync(join(dir, 'data')), 'refused before anything was made');
});

t.test('a start that fails after the control socket listens still exits, leaving no socket behind', async (t) => {
  const dir = tempDir('chmod-fails-');
  const socket = join(dir, 'control.sock');
  const preload = pathToFileURL(join(fixturesDir, 'faults', 'chmod-fails.mjs')).href;
  const daemon = launchDaemon({ control: { socket } }, { CHMOD_FAILS_FOR: socket, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}` });
  // EPERM on the socket's own path is one of the path's problems: a config error.
  t.equal(await exitWithin(daemon.exited, () => daemon.child.kill('SIGKILL'), 20_000), 78, daemon.output());
  t.match(daemon.output(), /control\.socket: cannot listen on .*control\.sock: EPERM/);
  t.notOk(existsSync(socket), 'the socket file went with the listener');
  t.notMatch(daemon.output(), /still open; exiting anyway/, 'nothing was left open for the last resort to end');
});
