import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { launchRefused } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';

/**
 * A rollback: a later release left, in a format this one does not know, a file the whole
 * daemon runs on. Read as this release's, it would be misread, then written over with what
 * this release knows. The daemon refuses to start instead (exit 78, so systemd does not
 * restart it into the same refusal), naming the file, its format and what to do, and leaves
 * the file as it was.
 */
const newer: Array<{ file: string; text: string; holds: string }> = [
  { file: 'scheduler/budget.json', text: '{"format":2,"powerBudgetWatts":{"day":40,"night":400}}\n', holds: 'the `earshot budget set` overrides' },
  { file: 'plugins/state.json', text: '{"format":2,"choices":{"itn-en":{"state":"disabled","until":null}}}\n', holds: 'the `earshot plugins enable|disable` choices' },
  { file: 'energy/ledger-2026-11.jsonl', text: '{"format":2}\n{"job":"f-1","at":"2026-11-26T09:00:00.000Z","mJ":3600000}\n', holds: 'the energy and carbon of past jobs' },
  { file: 'outbox/drops.json', text: '{"format":2,"count":{"maxAgeHours":3},"bytes":900}\n', holds: 'the counts of undelivered transcripts dropped' },
];

for (const { file, text, holds } of newer) {
  t.test(`${file} in a later release's format: the start is refused, the file left as it is`, async (t) => {
    const dataDir = join(tempDir('earshot-newer-state-'), 'data');
    const path = join(dataDir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);

    const daemon = await launchRefused({ siteId: 'rollback', dataDir });
    t.notOk(daemon.ready, 'not started');
    t.equal(daemon.code, 78, 'exits 78, as for a bad config');
    t.match(daemon.output, `earshotd: ${path} is in format 2, written by a newer earshotd; this one reads format 1 at most. Start that release again (upgrade), or move the file away to start this one without it (it holds ${holds}`);
    t.equal(readFileSync(path, 'utf8'), text, 'the file is as it was');
  });
}
