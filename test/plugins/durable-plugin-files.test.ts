import t from 'tap';
import { join } from 'node:path';
import { distDir, tempDir } from '../helpers/paths.js';
import { notReplacedDurably, traceFileCalls } from '../helpers/strace.js';

/**
 * The operator's plugin choices (plugins/state.json, read at start: an empty one after a power
 * cut refused the start) and a plugin's store are replaced durably: written, synced, renamed,
 * and the folder synced. Seen in the system calls of a real process.
 */
t.test('plugins/state.json and a plugin store survive a power cut: fsync, rename, fsync of the folder', async (t) => {
  const dir = tempDir('earshot-durable-plugins-');
  const choices = join(dir, 'plugins', 'state.json');
  const store = join(dir, 'plugins', 'redact', 'store.json');
  const script = `
    import { mkdirSync } from 'node:fs';
    const { OperatorChoiceFile } = await import(${JSON.stringify(join(distDir, 'daemon', 'plugins', 'operator-choices.js'))});
    const { JsonFileStore } = await import(${JSON.stringify(join(distDir, 'daemon', 'plugins', 'kv-store.js'))});
    mkdirSync(${JSON.stringify(join(dir, 'plugins'))}, { recursive: true });
    new OperatorChoiceFile(${JSON.stringify(choices)}).write({ redact: 'disabled' });
    await new JsonFileStore(${JSON.stringify(join(dir, 'plugins', 'redact'))}).set('seen', 3);`;
  const run = traceFileCalls([process.execPath, '--input-type=module', '-e', script]);
  t.equal(run.status, 0, run.stderr);
  t.equal(notReplacedDurably(run.calls, choices), null, 'the plugin choices');
  t.equal(notReplacedDurably(run.calls, store), null, "a plugin's store");
});
