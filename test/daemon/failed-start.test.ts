import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchDaemon } from '../helpers/daemon-process.js';
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

t.test('a start that fails after the control socket listens still exits, leaving no socket behind', async (t) => {
  const dir = tempDir('chmod-fails-');
  const socket = join(dir, 'control.sock');
  const preload = pathToFileURL(join(fixturesDir, 'faults', 'chmod-fails.mjs')).href;
  const daemon = launchDaemon({ control: { socket } }, { CHMOD_FAILS_FOR: socket, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}` });
  // EPERM on the socket's own path is one of the path's problems: a config error.
  t.equal(await exitWithin(daemon.exited, () => daemon.child.kill('SIGKILL'), 20_000), 78, daemon.output());
  t.match(daemon.output(), /control\.socket: cannot listen on .*control\.sock: EPERM/);
  t.notOk(existsSync(socket), 'the socket file went with the listener');
});
