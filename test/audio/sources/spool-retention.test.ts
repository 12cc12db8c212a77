import t from 'tap';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolRetention, type RetainedFolder } from '../../../daemon/audio/sources/spool-retention.js';
import { LogSink } from '../../../daemon/log/logger.js';
import { waitFor } from '../../helpers/daemon-process.js';
import { tempDir } from '../../helpers/paths.js';

const DAY_MS = 86_400_000;

/** done/ and failed/ with the given files, moved in now, and a logger whose lines are kept. */
function setUp(files: { done?: Record<string, number>; failed?: Record<string, number> }) {
  const root = tempDir();
  const folders: RetainedFolder[] = [
    { label: 'done/', dir: join(root, 'done'), keepDays: 30 },
    { label: 'failed/', dir: join(root, 'failed'), keepDays: 90, companionSuffix: '.reason.txt' },
  ];
  for (const [folder, names] of [[folders[0]!, files.done ?? {}], [folders[1]!, files.failed ?? {}]] as const) {
    mkdirSync(folder.dir);
    for (const [name, bytes] of Object.entries(names)) writeFileSync(join(folder.dir, name), Buffer.alloc(bytes, 1));
  }
  const lines: string[] = [];
  const logger = new LogSink({ level: 'debug', format: 'text', write: (l) => void lines.push(l) }).logger('spool');
  return { root, folders, lines, logger };
}

t.test('each folder keeps its own days; a sweep that deleted something says what in one INFO line, and status shows it', async (t) => {
  const { folders, lines, logger } = setUp({ done: { 'a.wav': 3000, 'b.wav': 2000 }, failed: { 'c.wav': 500, 'c.wav.reason.txt': 50 } });
  let now = Date.now();
  const retention = new SpoolRetention({ sourceId: 'desk', folders, logger, folderProblem: async () => undefined, now: () => now });
  t.equal(retention.detail(), 'done/ kept 30 d, failed/ kept 90 d', 'before the first sweep: what is kept');

  await retention.sweep();
  t.same(readdirSync(folders[0]!.dir).sort(), ['a.wav', 'b.wav'], 'just moved in: kept');
  t.notOk(lines.some((l) => l.startsWith('INFO')), 'a sweep that deleted nothing logs no INFO line');

  now += 31 * DAY_MS;
  await retention.sweep();
  t.same(readdirSync(folders[0]!.dir), [], 'done/ after 31 days: deleted');
  t.same(readdirSync(folders[1]!.dir).sort(), ['c.wav', 'c.wav.reason.txt'], 'failed/ keeps 90 days');
  const info = lines.filter((l) => l.startsWith('INFO'));
  t.equal(info.length, 1);
  t.match(info[0], /spool retention: done\/ 2 deleted \(5\.0 kB\), failed\/ 0 deleted \(0 B\).* source=desk deleted=2 bytes=5000/);

  now += 60 * DAY_MS;
  await retention.sweep();
  t.same(readdirSync(folders[1]!.dir), [], 'failed/ after 91 days: the recording and its reason');
  t.match(retention.detail(), /^done\/ kept 30 d, failed\/ kept 90 d; last sweep 0 min ago: done\/ 0 deleted \(0 B\), failed\/ 2 deleted \(550 B\)$/);
});

t.test('swept at start, then at every interval, until stopped', async (t) => {
  const { folders, lines, logger } = setUp({ done: { 'a.wav': 10 } });
  let now = Date.now();
  const retention = new SpoolRetention({ sourceId: 'desk', folders: [folders[0]!], logger, folderProblem: async () => undefined, now: () => now, everyMs: 200 });
  retention.start();
  t.teardown(() => retention.stop());
  await waitFor(() => retention.detail()!.includes('last sweep'), 5000, 'the sweep at start');
  t.same(readdirSync(folders[0]!.dir), ['a.wav']);
  now += 31 * DAY_MS;
  await waitFor(() => readdirSync(folders[0]!.dir).length === 0, 5000, 'the next sweep');
  await retention.stop();
  writeFileSync(join(folders[0]!.dir, 'b.wav'), 'x');
  now += 31 * DAY_MS;
  await new Promise((r) => setTimeout(r, 600));
  t.same(readdirSync(folders[0]!.dir), ['b.wav'], 'no sweep after stop');
  t.equal(lines.filter((l) => l.startsWith('INFO')).length, 1);
});

t.test('no sweep while the folders are not the daemon\'s own; a folder that cannot be swept is a WARN, the other is still swept', async (t) => {
  const { root, folders, lines, logger } = setUp({ done: { 'a.wav': 10 }, failed: { 'b.wav': 10 } });
  let problem: string | undefined = 'done/ is a symbolic link';
  const now = Date.now() + 100 * DAY_MS;
  const retention = new SpoolRetention({ sourceId: 'desk', folders, logger, folderProblem: async () => problem, now: () => now });
  await retention.sweep();
  t.same(readdirSync(folders[0]!.dir), ['a.wav']);
  t.match(retention.detail(), /last sweep 0 min ago skipped: folders not the daemon's own$/);

  problem = undefined;
  const gone = { ...folders[0]!, dir: join(root, 'missing') };
  const partial = new SpoolRetention({ sourceId: 'desk', folders: [gone, folders[1]!], logger, folderProblem: async () => undefined, now: () => now });
  await partial.sweep();
  t.same(readdirSync(folders[1]!.dir), [], 'failed/ swept');
  const warn = lines.filter((l) => l.startsWith('WARN'));
  t.equal(warn.length, 1);
  t.match(warn[0], /spool retention: done\/ not swept \(ENOENT[^)]*\), failed\/ 1 deleted \(10 B\)/);
});
