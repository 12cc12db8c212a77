import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PluginHost } from '../../daemon/plugins/host.js';
import { sandbox, testConfig } from './sandbox.js';

/** A throwing normalizer, a rejecting filter and a hanging normalizer, next to a good one. */
async function startHost(teardown: (fn: () => Promise<void>) => void, maxFailures = 3) {
  const sb = sandbox(['throwing', 'rejecting', 'hanging', 'shout']);
  const host = new PluginHost({
    logger: sb.logger,
    dataDir: sb.dataDir,
    builtinDir: sb.builtinDir,
    config: testConfig(sb, { maxFailures, timeoutMs: 60, config: { shout: { words: ['acme'] } } }),
  });
  await host.start();
  teardown(() => host.stop());
  return { host, sb };
}

t.test('throwing, rejecting and hanging plugins are skipped and the transcript still arrives', async (t) => {
  const { host, sb } = await startHost((fn) => t.teardown(fn));
  const started = Date.now();
  const out = await host.process({ text: 'hello acme', language: 'en' });
  // The hanging plugin's 60 ms limit is checked in its reason below; this bound leaves the
  // round trips into the other plugins' threads room on a busy box.
  t.ok(Date.now() - started < 5000, 'a hanging plugin costs its time limit, not forever');
  t.equal(out.text, 'hello ACME');
  t.same(out.applied, ['earshot-plugin-shout']);
  t.same(
    out.skipped.map((s) => s.plugin).sort(),
    ['earshot-plugin-hanging', 'earshot-plugin-rejecting', 'earshot-plugin-throwing'],
  );
  const reasons = Object.fromEntries(out.skipped.map((s) => [s.plugin, s.reason]));
  t.equal(reasons['earshot-plugin-throwing'], 'threw: cannot read the grammar');
  t.equal(reasons['earshot-plugin-rejecting'], 'rejected: redaction service unavailable');
  t.equal(reasons['earshot-plugin-hanging'], 'timed out after 60 ms');
  t.ok(sb.lines.some((l) => l.startsWith('WARN') && l.includes('earshot:plugins:throwing') && l.includes('plugin earshot-plugin-throwing failed: normalizer call threw')));
  for (const s of host.list()) t.equal(s.state, 'running', `${s.alias} still running after one failure`);
});

t.test('a failure is logged with where in the plugin the error was made, in its own thread and inline; transcripts carry no path', async (t) => {
  for (const isolation of ['thread', 'inline'] as const) {
    const sb = sandbox(['throwing', 'rejecting', 'failing-task', 'bad-edits']);
    const host = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { isolation, maxFailures: 10 }) });
    await host.start();
    t.teardown(() => host.stop());
    const out = await host.process({ text: 'hello', language: 'en', words: [{ text: 'hello', start: 0, end: 0.5 }] });
    t.same(out.skipped.map((s) => s.reason).sort(), ['rejected: redaction service unavailable', 'threw: applyWordEdits: edit [5, 9) overlaps another or lies outside the 1 words', 'threw: cannot read the grammar'], `${isolation}: reasons as before`);
    const failed = (alias: string) => sb.lines.find((l) => l.startsWith('WARN') && l.includes(`earshot:plugins:${alias} `) && l.includes(' failed: '));
    for (let i = 0; i < 300 && failed('failing-task') === undefined; i++) await sleep(10);
    t.match(failed('throwing'), ` at=${join(sb.pluginsDir, 'throwing', 'index.js')}:7:15`, `${isolation}: a sync throw`);
    t.match(failed('rejecting'), ` at=${join(sb.pluginsDir, 'rejecting', 'index.js')}:7:15`, `${isolation}: a rejection`);
    t.match(failed('failing-task'), ` at=${join(sb.pluginsDir, 'failing-task', 'index.js')}:6:13`, `${isolation}: a scheduled task`);
    t.match(failed('bad-edits'), ` at=${join(sb.pluginsDir, 'bad-edits', 'index.js')}:7:16`, `${isolation}: an SDK call given bad edits is the plugin's line, not the SDK's`);
    await host.stop();
  }
});

/**
 * A plugin in its own folder `folder` under the sandbox whose normalizer is `code` (lines after
 * the SDK import), started in `isolation` and called once: its index.js, the call's result and
 * the WARN line its failure logged.
 */
async function failingFolderPlugin(t: Test, isolation: 'thread' | 'inline', folder: string, code: string[]) {
  const sb = sandbox([]);
  const dir = join(sb.pluginsDir, folder);
  mkdirSync(dir, { mode: 0o755 });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'earshot-plugin-rules', version: '1.0.0', type: 'module', keywords: ['earshot-plugin'], main: 'index.js', engines: { earshot: '^1.0.0' } }));
  writeFileSync(join(dir, 'index.js'), ["import { definePlugin } from '@earshot/sdk';", ...code].join('\n'));
  const host = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { isolation, maxFailures: 10 }) });
  await host.start();
  t.teardown(() => host.stop());
  const out = await host.process({ text: 'hello', language: 'en' });
  await host.stop();
  return { index: join(dir, 'index.js'), out, failed: sb.lines.find((l) => l.startsWith('WARN') && l.includes(' failed: ')) };
}

t.test('where is read from the stack’s frames: a folder with spaces and brackets is found whole, a message that ends like a place is not taken for one', async (t) => {
  for (const isolation of ['thread', 'inline'] as const) {
    // A copied folder, as a file manager names it; a file: URL escapes the space, not the brackets.
    const { index, out, failed } = await failingFolderPlugin(t, isolation, 'rules (copy) 2', [
      'export default definePlugin({ create: () => ({ normalizer: { normalize() {',
      "  throw new Error('no rule for this at /etc/earshot/rules.conf:12');",
      '} } }) });',
    ]);
    t.same(out.skipped.map((s) => s.reason), ['threw: no rule for this at /etc/earshot/rules.conf:12'], `${isolation}: the message as thrown`);
    // Quoted by the log line's key=value format, for the spaces.
    t.match(failed, ` at=${JSON.stringify(`${index}:3:9`)}`, `${isolation}: the plugin’s line, its folder named whole`);
  }
});

t.test('an error thrown in code that new Function made is placed at its caller’s line in the plugin, not in the eval frame', async (t) => {
  for (const isolation of ['thread', 'inline'] as const) {
    // As a library's compiled validator throws: a frame `eval at … (place), <anonymous>:1:7` on top.
    const { index, failed } = await failingFolderPlugin(t, isolation, 'compiled (copy)', [
      "const check = new Function('text', 'throw new Error(\"no rule for \" + text)');",
      'export default definePlugin({ create: () => ({ normalizer: { normalize(t) {',
      '  check(t.text);',
      '} } }) });',
    ]);
    t.match(failed, ` at=${JSON.stringify(`${index}:4:3`)}`, `${isolation}: the plugin’s call of the compiled code`);
  }
});

t.test('an error whose stack cannot be read (a throwing getter, a made-up file: URL) is one failure like any other, in its own thread and inline', async (t) => {
  for (const isolation of ['thread', 'inline'] as const) {
    const sb = sandbox(['hostile-error']);
    const host = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { isolation, maxFailures: 10 }) });
    await host.start();
    t.teardown(() => host.stop());
    // Reading the stack for `at` threw out of the guard (inline) or ended the plugin's thread.
    const out = await host.process({ text: 'hello', language: 'en' });
    t.same(out.skipped.map((s) => s.reason), ['threw: cannot read the grammar', 'rejected: redaction service unavailable'], `${isolation}: reported as for any throw and rejection`);
    t.equal(out.text, 'hello');
    t.same(host.list().map((s) => s.state), ['running'], `${isolation}: still running after two of its ten failures`);
    const failures = sb.lines.filter((l) => l.startsWith('WARN') && l.includes(' failed: '));
    t.equal(failures.length, 2, `${isolation}: both logged`);
    t.notMatch(failures.join('\n'), / at=/, `${isolation}: without where`);
    await host.stop();
  }
});

t.test('after maxFailures in a row a plugin is set aside, reported failed, and skipped', async (t) => {
  const { host, sb } = await startHost((fn) => t.teardown(fn), 2);
  await host.process({ text: 'one' });
  await host.process({ text: 'two' });
  const byAlias = Object.fromEntries(host.list().map((s) => [s.alias, s]));
  for (const alias of ['throwing', 'rejecting', 'hanging']) {
    t.match(byAlias[alias], { state: 'failed', failures: 2, consecutiveFailures: 2 }, `${alias} failed`);
  }
  t.match(byAlias.shout, { state: 'running', calls: 3, failures: 0 }, 'one hotwords() call and two normalize calls');
  t.ok(sb.lines.some((l) => l.startsWith('ERROR') && l.includes('disabled after 2 failures in a row; re-enable with `earshot plugins enable hanging`')));

  const third = await host.process({ text: 'three acme' });
  t.equal(third.text, 'three ACME');
  t.equal(third.skipped.length, 3);
  t.match(third.skipped.find((s) => s.plugin === 'earshot-plugin-throwing')?.reason, /^disabled after 2 failures \(last: normalizer call threw: cannot read the grammar\)$/);
  t.equal(host.info('throwing').failures, 2, 'a set-aside plugin is not called again');

  // Enabling gives it a fresh start; it fails again and is counted again.
  t.equal((await host.enable('throwing')).state, 'running');
  const fourth = await host.process({ text: 'four' });
  t.match(fourth.skipped.find((s) => s.plugin === 'earshot-plugin-throwing'), { reason: 'threw: cannot read the grammar' });
  t.match(host.info('throwing'), { state: 'running', failures: 3, consecutiveFailures: 1 });
});
