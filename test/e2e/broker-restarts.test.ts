import t from 'tap';
import { formatReport, runFaults } from '../helpers/fault-run.js';

/**
 * Issue #9, "must show" 1 (broker half): a real Mosquitto stopped and started ≥ 5 times
 * while the daemon transcribes a spool batch; the durable outbox holds what could not be
 * sent and every transcript reaches a QoS 1 subscriber. `SEED=<n>` replays a run.
 */
const seed = Number(process.env.SEED ?? Date.now() % 100_000);

t.test(`5 broker restarts during a spool batch lose nothing (seed ${seed})`, async (t) => {
  const report = await runFaults({
    seed,
    kills: 0,
    brokerRestarts: 5,
    filesPerFault: 3,
    maxKillDelayMs: 0,
    maxBrokerDownMs: 1500,
    maxAttempts: 3,
    log: (line) => t.comment(line),
  });
  t.comment('\n' + formatReport(report));
  t.equal(report.brokerRestarts, 5, 'every planned broker restart happened');
  t.equal(report.recoveryMs.broker.length, 5);
  t.ok(report.recoveryMs.broker.every((ms) => ms < 20_000), 'the daemon reconnected after each restart');
  t.equal(report.crashes, 0, 'the daemon never exited');
  t.equal(report.transcripts.lost, 0, `every transcript delivered (${report.transcripts.delivered}/${report.transcripts.expected})`);
  t.equal(report.transcripts.delivered, report.transcripts.expected, 'no transcript beyond those expected');
  t.equal(report.jobs.lost, 0, 'no job lost');
  t.same(report.jobs.failures, [], 'no job failed');
});
