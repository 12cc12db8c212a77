/**
 * Soak benchmark (issue #9): N live sources streaming PCM in real time over unix sockets
 * plus a batch backlog in a spool folder, for a bounded time, against one earshotd. Reports
 * the slopes of the daemon's RSS, open file descriptors and threads after warm-up (flat
 * means no leak), live transcript latency (end of speech → at the subscriber) p50/p95, and
 * transcripts expected vs delivered per kind. `test/e2e/soak.test.ts` runs the same soak
 * for two minutes in CI.
 *
 *   npx tsc -b && node dist/bench/reliability/soak.js --minutes 20 --streams 4
 *
 * Options: --minutes N (20), --streams N (4), --backlog N (30 recordings at the start),
 * --drop-every-s N (10: one more recording this often), --sample-s N (5),
 * --reconnect-every N (0: each live stream hangs up and dials again after N loops),
 * --heap-snapshots-at 2,10 (minutes: the daemon writes V8 heap snapshots into the run's
 * directory then, for finding what grows), --thermal-cycle-s N (0: the box heats into the
 * thermal soft band and cools this often, so the model is loaded again with 1 thread or 2
 * under the load; `model.threads: 2` on a Jetson Orin sysfs copy).
 * The report includes the daemon at rest before and after the load (after one warm-up
 * recording): open fds and threads must return to where they were.
 * Exit status 1 when a transcript was lost or the daemon died.
 */
import { parseArgs } from 'node:util';
import { formatSoakReport, runSoak } from '../../test/helpers/soak-run.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '20' },
    streams: { type: 'string', default: '4' },
    backlog: { type: 'string', default: '30' },
    'drop-every-s': { type: 'string', default: '10' },
    'sample-s': { type: 'string', default: '5' },
    'reconnect-every': { type: 'string', default: '0' },
    'heap-snapshots-at': { type: 'string', default: '' },
    'thermal-cycle-s': { type: 'string', default: '0' },
  },
});
const numbers = {
  minutes: Number(values.minutes),
  streams: Number(values.streams),
  backlog: Number(values.backlog),
  'drop-every-s': Number(values['drop-every-s']),
  'sample-s': Number(values['sample-s']),
  'reconnect-every': Number(values['reconnect-every']),
  'thermal-cycle-s': Number(values['thermal-cycle-s']),
};
for (const [name, v] of Object.entries(numbers)) {
  if (!Number.isFinite(v) || v < 0) {
    console.error(`--${name}: expected a number ≥ 0`);
    process.exit(2);
  }
}
const snapshots = values['heap-snapshots-at'] ? values['heap-snapshots-at'].split(',').map(Number) : [];
if (snapshots.some((m) => !Number.isFinite(m) || m < 0)) {
  console.error('--heap-snapshots-at: expected minutes separated by commas, e.g. 2,10');
  process.exit(2);
}

const report = await runSoak({
  minutes: numbers.minutes,
  streams: numbers.streams,
  reconnectEveryLoops: numbers['reconnect-every'],
  backlog: numbers.backlog,
  dropEveryMs: numbers['drop-every-s'] * 1000,
  sampleMs: numbers['sample-s'] * 1000,
  thermalCycleMs: numbers['thermal-cycle-s'] * 1000,
  heapSnapshotsAtMin: snapshots,
  log: (line) => console.log(line),
});
console.log(formatSoakReport(report));
process.exit(report.lost > 0 || !report.alive ? 1 : 0);
