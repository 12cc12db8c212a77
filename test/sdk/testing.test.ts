import t from 'tap';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { API_VERSION, definePlugin, isPluginDefinition } from '@earshot/sdk';
import { createTestContext } from '@earshot/sdk/testing';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { openPluginContext } from '../../daemon/plugins/plugin-context.js';
import { silentLogger } from '../../daemon/log/logger.js';

t.test('definePlugin stamps the API version and freezes the definition', async (t) => {
  const def = definePlugin({ description: 'd', create: () => ({}) });
  t.equal(def.apiVersion, API_VERSION);
  t.ok(Object.isFrozen(def));
  t.ok(isPluginDefinition(def));
  t.notOk(isPluginDefinition({ create: () => ({}) }), 'a plain object without apiVersion is not one');
  t.notOk(isPluginDefinition(null));
});

t.test('the test context records logs, runs schedules and watches on demand, and stops', async (t) => {
  const fake = createTestContext({ name: 'p', config: { n: 2 } });
  t.equal(fake.context.name, 'p');
  t.same(fake.context.config, { n: 2 });
  t.ok(existsSync(fake.context.dataDir), 'a real temporary data folder');
  fake.context.logger.info('hello', { a: 1 });
  fake.context.logger.debug(() => 'lazy');
  t.same(fake.logs, [
    { level: 'info', message: 'hello', fields: { a: 1 } },
    { level: 'debug', message: 'lazy' },
  ]);
  let ticks = 0;
  const handle = fake.context.schedule('*/5 * * * *', () => void ticks++);
  fake.context.schedule(60_000, async () => void ticks++);
  t.throws(() => fake.context.schedule(5, () => undefined), /below the 1000 ms minimum/);
  await fake.runScheduled();
  t.equal(ticks, 2);
  handle.dispose();
  await fake.runScheduled();
  t.equal(ticks, 3);
  let changed = 0;
  fake.context.watchFile('/etc/x', () => void changed++);
  await fake.fileChanged('/etc/y');
  await fake.fileChanged('/etc/x');
  t.equal(changed, 1);
  fake.context.hotwordsChanged();
  t.equal(fake.hotwordsChangedCalls, 1);
  await fake.stop();
  t.ok(fake.context.signal.aborted);
  await fake.runScheduled();
  await fake.fileChanged('/etc/x');
  t.same([ticks, changed], [3, 1], 'nothing runs after stop');
});

t.test('the test context refuses the schedules and watches the host refuses, so a unit test fails where the daemon would', async (t) => {
  const fake = createTestContext({ name: 'p' });
  t.throws(() => fake.context.schedule('every minute', () => undefined), /schedule: "every minute" is not a valid cron expression/);
  t.throws(() => fake.context.schedule(Infinity, () => undefined), /below the 1000 ms minimum/);
  fake.context.schedule('0 */2 * * mon-fri', () => undefined);
  const missing = join(tempDir('earshot-sdk-'), 'no-such-folder', 'units.txt');
  t.throws(() => fake.context.watchFile(missing, () => undefined), { message: `watchFile: cannot watch ${missing} (its folder ${dirname(missing)} does not exist); its folder must exist` });
  await fake.stop();
  t.throws(() => fake.context.schedule(60_000, () => undefined), /plugin p is stopped; it cannot schedule tasks/);
  t.throws(() => fake.context.watchFile('/etc/x', () => undefined), /plugin p is stopped; it cannot watch files/);
});

t.test('every schedule the daemon runs, the test context takes too (nicknames, MON#2): a unit test never fails where the daemon would not', async (t) => {
  const fake = createTestContext({ name: 'p' });
  const daemon = openPluginContext({ name: 'p', logger: silentLogger, config: {}, dataDir: tempDir('earshot-sdk-'), taskTimeoutMs: 1000, onTaskOutcome: () => undefined, hotwordsChanged: () => undefined, hotwords: async () => [] });
  t.teardown(() => daemon.close());
  const takes = (schedule: (spec: string) => unknown, spec: string): boolean => {
    try {
      schedule(spec);
      return true;
    } catch {
      return false;
    }
  };
  for (const spec of ['@daily', '@Hourly', ' @weekly ', '@annually', '@midnight', '0 9 * * MON#2', '0 0 L * *', '0 0 1 JAN *', '*/5 * * * * *', 'every minute', '@often']) {
    const byDaemon = takes((s) => daemon.context.schedule(s, () => undefined), spec);
    const byFake = takes((s) => fake.context.schedule(s, () => undefined), spec);
    // The fake checks only the shape: it may take what node-cron refuses for a field's range, never refuse what it runs.
    if (byDaemon) t.ok(byFake, `"${spec}": the daemon runs it, and so does the test context`);
    else t.notOk(byFake, `"${spec}": refused by both`);
  }
});

t.test('the test store deep-copies like a file, and hotwords filter by language', async (t) => {
  const fake = createTestContext({ hotwords: [{ phrase: 'a', boost: 1 }, { phrase: '深圳', boost: 2, language: 'zh' }] });
  const list = ['x'];
  await fake.context.store.set('list', list);
  list.push('y');
  t.same(await fake.context.store.get('list'), ['x']);
  t.same(await fake.context.store.keys(), ['list']);
  t.equal(await fake.context.store.delete('list'), true);
  t.same(await fake.context.hotwords('en'), [{ phrase: 'a', boost: 1 }]);
  t.equal((await fake.context.hotwords()).length, 2);
  fake.setHotwords([]);
  t.same(await fake.context.hotwords('zh'), []);
});

t.test("the data folder made for a test is removed when the test's process exits; one passed in is kept", async (t) => {
  const kept = tempDir('earshot-sdk-kept-');
  // A separate Node process, as a plugin author's test file is: its exit is what removes the folder.
  const script = `import { createTestContext } from '@earshot/sdk/testing';
    const made = createTestContext({ name: 'a' }).context.dataDir;
    createTestContext({ name: 'b', dataDir: ${JSON.stringify(kept)} });
    (await import('node:fs')).writeFileSync(made + '/state.json', '{}');
    console.log(made);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  const made = run.stdout.trim();
  t.match(made, /earshot-plugin-test-/);
  t.notOk(existsSync(made), 'the made folder, with the file the plugin wrote, is gone');
  t.ok(existsSync(kept), "the caller's folder is not the SDK's to remove");
});
