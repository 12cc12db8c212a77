import t from 'tap';
import { formatSoakReport, runSoak, type SoakSample } from '../helpers/soak-run.js';

/**
 * Issue #9, load and soak: four live streams in real time plus a spool backlog against one
 * real earshotd for two minutes (`SOAK_MINUTES` for longer; `bench/reliability/soak` is the
 * long run). Nothing may be lost, and the daemon's handles must stay flat. Two minutes are
 * too short to tell a slow leak from heap growth, so RSS is held only to a gross bound here;
 * the slopes are printed for the record.
 */
const minutes = Number(process.env.SOAK_MINUTES ?? 2);

// The soak, the warm-up, the drain (up to 3 min) and the daemon's start and stop. Set on the
// file's root test: only that one raises the runner's per-file limit (180 s in package.json),
// which a subtest's own timeout does not.
t.setTimeout((minutes * 60 + 330) * 1000);

t.test(`${minutes}-minute soak: 4 live streams + backlog lose nothing and leak no handles`, async (t) => {
  const report = await runSoak({ minutes, streams: 4, reconnectEveryLoops: 3, backlog: 10, dropEveryMs: 5_000, sampleMs: 2_000, log: (line) => t.comment(line) });
  t.comment('\n' + formatSoakReport(report));
  t.ok(report.alive, 'the daemon is alive at the end');
  t.equal(report.exit, 0, 'SIGTERM ends it cleanly');
  t.equal(report.lost, 0, 'no transcript lost');
  t.equal(report.live.delivered, report.live.expected, `live: ${report.live.delivered} delivered of ${report.live.expected}`);
  t.equal(report.batch.delivered, report.batch.expected, `batch: ${report.batch.delivered} delivered of ${report.batch.expected}`);
  t.ok(report.live.expected >= minutes * 60 / 4, 'the streams ran the whole time');
  t.ok(report.live.connections > report.options.streams, `the streams hung up and dialled again (${report.live.connections} connections)`);
  t.ok(report.steady.length >= 10, 'enough samples after warm-up');

  const { before, after } = report.idle;
  t.ok(after, 'the daemon was sampled at rest after the load');
  if (after) {
    // At rest again, the daemon holds what it held before the load: no fd or thread kept per
    // recording, connection or segment (a leak of one per recording is 30+ here).
    t.ok(after.fds <= before.fds + 2, `open fds back to rest (${before.fds} before, ${after.fds} after)`, { added: added(before.fdTargets, after.fdTargets) });
    t.ok(after.threads <= before.threads + 1, `threads back to rest (${before.threads} before, ${after.threads} after)`);
  }

  const early = report.steady.slice(0, Math.ceil(report.steady.length / 3));
  const late = report.steady.slice(-Math.ceil(report.steady.length / 3));
  const max = (xs: SoakSample[], pick: (s: SoakSample) => number) => Math.max(...xs.map(pick));
  // A file being decoded or a segment being written may be open at a sample; a leak of one
  // fd per recording or per segment would be dozens by the end.
  t.ok(max(late, (s) => s.fds) <= max(early, (s) => s.fds) + 6, `open fds flat (early max ${max(early, (s) => s.fds)}, late max ${max(late, (s) => s.fds)})`);
  t.ok(max(late, (s) => s.threads) <= max(early, (s) => s.threads) + 2, `threads flat (early max ${max(early, (s) => s.threads)}, late max ${max(late, (s) => s.threads)})`);
  t.ok(max(late, (s) => s.rssMb) <= max(early, (s) => s.rssMb) + 64, `RSS within 64 MB of its early peak (early ${max(early, (s) => s.rssMb).toFixed(1)} MB, late ${max(late, (s) => s.rssMb).toFixed(1)} MB)`);
});

/** What is open after that was not before, counted by target (sockets and pipes by kind). */
function added(before: string[], after: string[]): Record<string, number> {
  const kind = (target: string) => target.replace(/:\[\d+\]$/, '');
  const counts: Record<string, number> = {};
  for (const x of after) counts[kind(x)] = (counts[kind(x)] ?? 0) + 1;
  for (const x of before) counts[kind(x)] = (counts[kind(x)] ?? 0) - 1;
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}
