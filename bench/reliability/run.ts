/**
 * Fault-injection benchmark (issue #9): SIGKILLs a working earshotd at random moments and
 * restarts it, stops and starts its MQTT broker, then prints what a QoS 1 subscriber got
 * against what the recordings must give, the job queue's account, and recovery times.
 *
 *   npx tsc -b && node dist/bench/reliability/run.js --kills 20 --broker-restarts 5
 *   node dist/bench/reliability/run.js --broker embedded --kills 20   (the daemon's own broker)
 *
 * Options: --kills N (20), --broker-restarts N (5), --seed N (time-based), --files-per-fault N (3),
 * --max-kill-delay-ms N (700), --max-broker-down-ms N (1500), --max-attempts N (100),
 * --broker mosquitto|embedded (mosquitto), --minutes N (repeat runs with new seeds until N minutes pass),
 * --long-copies N (100: one long recording of N × 5.5 s submitted as a file job, resuming across kills; 0: none).
 * Exit status 1 when any transcript or job was lost.
 */
import { parseArgs } from 'node:util';
import { formatReport, runFaults, type FaultRunReport } from '../../test/helpers/fault-run.js';
import { percentile } from '../../test/helpers/faults.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '20' },
    'broker-restarts': { type: 'string', default: '5' },
    seed: { type: 'string' },
    'files-per-fault': { type: 'string', default: '3' },
    'max-kill-delay-ms': { type: 'string', default: '700' },
    'max-broker-down-ms': { type: 'string', default: '1500' },
    'max-attempts': { type: 'string', default: '100' },
    'long-copies': { type: 'string', default: '100' },
    broker: { type: 'string', default: 'mosquitto' },
    minutes: { type: 'string', default: '0' },
    quiet: { type: 'boolean', default: false },
  },
});

function count(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name}: expected a whole number ≥ 0, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}

const broker = values.broker;
if (broker !== 'mosquitto' && broker !== 'embedded') {
  console.error(`--broker: use mosquitto or embedded, got ${JSON.stringify(broker)}`);
  process.exit(2);
}
const untilMs = Date.now() + Number(values.minutes) * 60_000;
const reports: FaultRunReport[] = [];
let seed = values.seed !== undefined ? count('seed', values.seed) : Date.now() % 100_000;
do {
  console.log(`run ${reports.length + 1}: seed ${seed}`);
  const report = await runFaults({
    seed,
    kills: count('kills', values.kills),
    brokerRestarts: broker === 'embedded' ? 0 : count('broker-restarts', values['broker-restarts']),
    filesPerFault: count('files-per-fault', values['files-per-fault']),
    maxKillDelayMs: count('max-kill-delay-ms', values['max-kill-delay-ms']),
    maxBrokerDownMs: count('max-broker-down-ms', values['max-broker-down-ms']),
    maxAttempts: Math.max(1, count('max-attempts', values['max-attempts'])),
    longRecordingCopies: count('long-copies', values['long-copies']),
    broker,
    ...(values.quiet ? {} : { log: (line: string) => console.log(`  ${line}`) }),
  });
  reports.push(report);
  console.log(formatReport(report) + '\n');
  seed = (seed * 7919 + 1) % 100_000;
} while (Date.now() < untilMs);

if (reports.length > 1) {
  const sum = (f: (r: FaultRunReport) => number) => reports.reduce((s, r) => s + f(r), 0);
  const daemon = reports.flatMap((r) => r.recoveryMs.daemon);
  const brokerRec = reports.flatMap((r) => r.recoveryMs.broker);
  console.log(`all ${reports.length} runs (seeds ${reports.map((r) => r.seed).join(', ')})`);
  console.log(`faults injected            ${sum((r) => r.kills)} SIGKILLs, ${sum((r) => r.brokerRestarts)} broker restarts`);
  console.log(`transcripts exp/del/dup    ${sum((r) => r.transcripts.expected)} / ${sum((r) => r.transcripts.delivered)} / ${sum((r) => r.transcripts.duplicated)}`);
  console.log(`jobs lost                  ${sum((r) => r.jobs.lost)}`);
  console.log(`daemon crashes             ${sum((r) => r.crashes)}`);
  console.log(`recovery p50/p95 daemon    ${percentile(daemon, 50)} / ${percentile(daemon, 95)} ms; broker ${percentile(brokerRec, 50)} / ${percentile(brokerRec, 95)} ms`);
}
const lost = reports.some((r) => r.transcripts.lost > 0 || r.jobs.lost > 0 || r.crashes > 0);
process.exit(lost ? 1 : 0);
