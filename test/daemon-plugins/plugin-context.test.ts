import t from 'tap';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JsonFileStore } from '../../daemon/plugins/kv-store.js';
import { openPluginContext, type PluginContextOptions } from '../../daemon/plugins/plugin-context.js';
import type { CallOutcome } from '../../daemon/plugins/guarded-call.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { stackPathOf, tempDir } from '../helpers/paths.js';

function options(dataDir: string, outcomes: CallOutcome<unknown>[] = []): PluginContextOptions {
  return {
    name: 'demo',
    logger: silentLogger,
    config: { a: 1 },
    dataDir,
    taskTimeoutMs: 100,
    onTaskOutcome: (o) => void outcomes.push(o),
    hotwordsChanged: () => undefined,
    hotwords: async () => [{ phrase: 'x', boost: 1 }],
  };
}

/** An outcome without where its error was made (checked on its own: its line moves with this file). */
const withoutAt = (o: CallOutcome<unknown>): CallOutcome<unknown> => (o.ok ? o : { ok: false, reason: o.reason });

t.test('the key-value store persists atomically and survives a reload', async (t) => {
  const dir = join(tempDir(), 'plugins', 'demo');
  const store = new JsonFileStore(dir);
  t.equal(await store.get('missing'), undefined);
  await store.set('lastRefresh', { at: 1700000000, count: 3 });
  await store.set('names', ['a', 'b']);
  t.same(JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')), { lastRefresh: { at: 1700000000, count: 3 }, names: ['a', 'b'] });
  const value = await store.get<{ at: number; count: number }>('lastRefresh');
  value!.count = 99;
  t.same(await store.get('lastRefresh'), { at: 1700000000, count: 3 }, 'callers get copies');
  const again = new JsonFileStore(dir);
  t.same((await again.keys()).sort(), ['lastRefresh', 'names']);
  t.equal(await again.delete('names'), true);
  t.equal(await again.delete('names'), false);
  t.same(await new JsonFileStore(dir).keys(), ['lastRefresh']);
  writeFileSync(join(dir, 'store.json'), '{ broken');
  await t.rejects(new JsonFileStore(dir).get('x'), /store\.json cannot be read .*delete it to start empty/);
});

t.test('schedules: intervals and cron validated, tasks guarded, all stopped on close', async (t) => {
  const outcomes: CallOutcome<unknown>[] = [];
  const { context, close } = openPluginContext(options(join(tempDir(), 'd'), outcomes));
  t.teardown(close);
  t.throws(() => context.schedule(10, () => undefined), /interval 10 ms is below the 1000 ms minimum/);
  t.throws(() => context.schedule('every tuesday', () => undefined), /"every tuesday" is not a valid cron expression/);
  let runs = 0;
  // Six-field cron: every second. One failing run and one good run are both reported.
  const handle = context.schedule('* * * * * *', () => {
    runs++;
    if (runs === 1) throw new Error('first run fails');
  });
  for (let i = 0; i < 60 && runs < 2; i++) await sleep(50);
  t.ok(runs >= 2, 'ran twice within 3 s');
  // `at`: the task's line here, where the error was made, not the context's.
  t.same(outcomes.slice(0, 2).map(withoutAt), [{ ok: false, reason: 'threw: first run fails' }, { ok: true, value: undefined }]);
  t.match(outcomes[0], { at: `${stackPathOf(import.meta.url)}:` });
  handle.dispose();
  handle.dispose();
  const after = runs;
  await sleep(1100);
  t.equal(runs, after, 'a disposed schedule does not run');
  const interval = context.schedule(1000, () => undefined);
  close();
  t.ok(context.signal.aborted);
  t.throws(() => context.schedule(1000, () => undefined), /is stopped/);
  interval.dispose();
});

t.test('watchFile sees in-place writes and rename-replacements, debounced, until closed', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'list.txt');
  writeFileSync(file, 'a');
  const { context, close } = openPluginContext(options(join(dir, 'data')));
  let changes = 0;
  context.watchFile(file, () => void changes++);
  writeFileSync(join(dir, 'other.txt'), 'not watched');
  writeFileSync(file, 'b');
  writeFileSync(file, 'c');
  for (let i = 0; i < 40 && changes < 1; i++) await sleep(25);
  await sleep(150);
  t.equal(changes, 1, 'a burst of writes is one change');
  writeFileSync(join(dir, 'tmp'), 'd');
  renameSync(join(dir, 'tmp'), file);
  for (let i = 0; i < 40 && changes < 2; i++) await sleep(25);
  t.equal(changes, 2, 'replace by rename');
  close();
  writeFileSync(file, 'e');
  await sleep(200);
  t.equal(changes, 2, 'nothing after close');
  t.throws(() => openPluginContext(options(join(dir, 'data2'))).context.watchFile(join(dir, 'no', 'such', 'file'), () => undefined), /cannot watch .*its folder must exist/);
});

t.test('the context exposes config, data dir, hotwords and the API version', async (t) => {
  const dataDir = join(tempDir(), 'plugins', 'demo');
  const { context, close } = openPluginContext(options(dataDir));
  t.teardown(close);
  t.same(context.config, { a: 1 });
  t.equal(context.dataDir, dataDir);
  t.same(await context.hotwords(), [{ phrase: 'x', boost: 1 }]);
  t.match(context.apiVersion, /^1\.\d+\.\d+$/);
  await context.store.set('k', 1);
  t.same(JSON.parse(readFileSync(join(dataDir, 'store.json'), 'utf8')), { k: 1 });
});

t.test('a watch callback that throws or rejects is counted as a failure, not thrown', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'f.txt');
  writeFileSync(file, 'a');
  const outcomes: CallOutcome<unknown>[] = [];
  const { context, close } = openPluginContext(options(join(dir, 'data'), outcomes));
  t.teardown(close);
  context.watchFile(file, async () => {
    throw new Error('reload broke');
  });
  writeFileSync(file, 'b');
  for (let i = 0; i < 40 && outcomes.length < 1; i++) await sleep(25);
  t.same(outcomes.map(withoutAt), [{ ok: false, reason: 'rejected: reload broke' }]);
  t.match(outcomes[0], { at: `${stackPathOf(import.meta.url)}:` }, 'the callback\'s line here, not the context\'s');
});
