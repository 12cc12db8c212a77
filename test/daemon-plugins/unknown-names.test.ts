import t from 'tap';
import { runCli, startDaemon } from '../helpers/daemon-process.js';

t.test('plugin settings naming no installed plugin are warned about at start, with a near name, and the daemon still starts', async (t) => {
  const daemon = await startDaemon({
    plugins: { config: { 'no-such-plugin': { level: 3 }, 'itn-em': {}, 'itn-en': {} }, disabled: ['hotwords-fil'] },
  });
  t.teardown(() => void daemon.child.kill('SIGKILL'));
  const out = daemon.output();
  t.match(out, /WARN +earshot:plugins plugins\.config\.no-such-plugin: no plugin named "no-such-plugin" is installed, so this is ignored \(plugins found: [^)]*itn-en[^)]*\)/);
  t.notMatch(out, /no-such-plugin.*did you mean/, 'no guess when nothing is close');
  t.match(out, /WARN +earshot:plugins plugins\.config\.itn-em: no plugin named "itn-em" is installed, so this is ignored; did you mean "itn-en"\?/);
  t.match(out, /WARN +earshot:plugins plugins\.disabled\[0\]: no plugin named "hotwords-fil" is installed, so this is ignored; did you mean "hotwords-file"\?/);
  t.notMatch(out, /plugins\.config\.itn-en:/, 'a plugin that exists is not warned about');
  const status = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(status.code, 0, `the daemon runs: ${status.stderr}`);
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
