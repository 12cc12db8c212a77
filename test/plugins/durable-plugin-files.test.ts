import t from 'tap';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distDir, tempDir } from '../helpers/paths.js';
import { notReplacedDurably, traceFileCalls } from '../helpers/strace.js';
import { SmallDisk } from '../helpers/small-disk.js';
import { OperatorChoiceFile } from '../../daemon/plugins/operator-choices.js';
import { JsonFileStore } from '../../daemon/plugins/kv-store.js';

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

t.test('on a full disk, plugins/state.json and a plugin store keep what they held: the write fails, nothing is renamed over them', async (t) => {
  // A write to a nearly full disk takes what fits and says so only by its count; taken as
  // whole, the cut-off file was renamed over the good one, and an unreadable state.json
  // refuses the daemon's start.
  const disk = new SmallDisk(64 * 1024).mount();
  t.teardown(() => disk.unmount());
  const dir = join(disk.dir, 'plugins');
  mkdirSync(join(dir, 'redact'), { recursive: true });
  const choices = new OperatorChoiceFile(join(dir, 'state.json'));
  choices.write({ redact: 'disabled' });
  const store = new JsonFileStore(join(dir, 'redact'));
  await store.set('seen', 3);
  const before = [readFileSync(join(dir, 'state.json'), 'utf8'), readFileSync(join(dir, 'redact', 'store.json'), 'utf8')];

  // Full but for two pages: each new file is larger than that, so only part of it fits.
  const spare = join(disk.dir, 'spare');
  writeFileSync(spare, Buffer.alloc(8192));
  disk.fill();
  unlinkSync(spare);
  const many = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`plugin-number-${i}`, 'disabled' as const]));
  t.throws(() => choices.write(many), { code: 'ENOSPC' }, 'writing the plugin choices fails');
  t.equal(readFileSync(join(dir, 'state.json'), 'utf8'), before[0], 'state.json holds the choices it had');
  await t.rejects(store.set('long', 'x'.repeat(16 * 1024)), { code: 'ENOSPC' }, "writing a plugin's store fails");
  t.equal(readFileSync(join(dir, 'redact', 'store.json'), 'utf8'), before[1], 'store.json holds what it had');
});
