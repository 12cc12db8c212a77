import t from 'tap';
import { join } from 'node:path';
import { runCli, startDaemon } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';

t.test('a typed --config or --socket beats EARSHOT_SOCKET and EARSHOT_CONFIG', async (t) => {
  const daemon = await startDaemon();
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const bogus = join(tempDir('earshot-bogus-'), 'bogus.sock');
  const cases: Array<{ what: string; args: string[]; env: NodeJS.ProcessEnv; code: number }> = [
    { what: '--config beats EARSHOT_SOCKET', args: ['-c', daemon.configFile], env: { EARSHOT_SOCKET: bogus }, code: 0 },
    { what: '--socket beats EARSHOT_CONFIG', args: ['--socket', bogus], env: { EARSHOT_CONFIG: daemon.configFile }, code: 3 },
    { what: 'EARSHOT_SOCKET alone', args: [], env: { EARSHOT_SOCKET: daemon.socket }, code: 0 },
    { what: 'EARSHOT_CONFIG alone', args: [], env: { EARSHOT_CONFIG: daemon.configFile }, code: 0 },
    { what: 'EARSHOT_SOCKET beats EARSHOT_CONFIG', args: [], env: { EARSHOT_SOCKET: bogus, EARSHOT_CONFIG: daemon.configFile }, code: 3 },
  ];
  for (const c of cases) {
    const r = await runCli(['status', ...c.args], c.env);
    t.equal(r.code, c.code, `${c.what}: ${r.stdout}${r.stderr}`);
  }
});
