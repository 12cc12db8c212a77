import t from 'tap';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import { replayLog } from '../../daemon/mqtt/outbox/outbox-log.js';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { writeLongRecording } from '../helpers/long-recording.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';

/**
 * An upgrade: today's earshotd started on the data directory an older release left when it
 * was SIGKILLed halfway through a long recording, with the broker down (test/fixtures/upgrade,
 * written by that release with make-state.sh). Nothing it held may be lost or come twice
 * under new ids: the transcripts in its outbox, the long job (resumed from its saved progress,
 * its transcripts under the ids the old release gave them), the speech the spool had cut, a
 * recording still in the spool folder, the finished and failed jobs, the energy ledger, the
 * `earshot budget set` overrides and the `earshot plugins disable` choice.
 */

/** Where the old release's data directory was: its job records name files under it. */
const OLD_ROOT = '/tmp/earshot-upgrade-fixture';
/** make-state.sh's long recording: writeLongRecording(…, 40), two segments a copy. */
const LONG_COPIES = 40;

interface SavedSegment {
  startSec: number;
  transcripts: Array<{ id: string }>;
}

function jsonLines(file: string): unknown[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
}

function onlyFile(dir: string, ext: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith(ext));
  if (files.length !== 1) throw new Error(`expected one ${ext} file in ${dir}, found ${files.join(', ') || 'none'}`);
  return join(dir, files[0]!);
}

for (const release of ['5b3cc63']) {
  t.test(`the data directory of release ${release}, killed mid-job with the broker down, is taken up whole`, async (t) => {
    const fixture = join(fixturesDir, 'upgrade', release);
    const root = tempDir('earshot-upgrade-');
    cpSync(fixture, root, { recursive: true });
    const dataDir = join(root, 'data');
    // The job records hold absolute paths into the old root; only those are moved here.
    for (const state of ['pending', 'done', 'failed']) {
      const dir = join(dataDir, 'queue', state);
      for (const f of readdirSync(dir)) writeFileSync(join(dir, f), readFileSync(join(dir, f), 'utf8').replaceAll(OLD_ROOT, root));
    }
    mkdirSync(join(root, 'rec'));
    await writeLongRecording(join(root, 'rec', 'long.wav'), LONG_COPIES);

    const longId = onlyFile(join(dataDir, 'queue', 'progress'), '.jsonl').replace(/^.*\/|\.jsonl$/g, '');
    const saved = jsonLines(join(dataDir, 'queue', 'progress', `${longId}.jsonl`)).filter((r): r is SavedSegment => typeof (r as SavedSegment).startSec === 'number');
    const outboxed = [...replayLog(readFileSync(join(dataDir, 'outbox', 'outbox.log'))).pending.values()];
    const doneId = onlyFile(join(dataDir, 'queue', 'done'), '.json').replace(/^.*\/|\.json$/g, '');
    const failedId = onlyFile(join(dataDir, 'queue', 'failed'), '.json').replace(/^.*\/|\.json$/g, '');
    const ledgerFile = onlyFile(join(dataDir, 'energy'), '.jsonl');
    const oldLedger = readFileSync(ledgerFile, 'utf8');
    t.ok(saved.length > 0 && saved.length < LONG_COPIES * 2, `the fixture holds a long job part-way: ${saved.length} segments saved`);
    t.ok(outboxed.length > 0, `the fixture's outbox holds ${outboxed.length} transcripts`);

    const broker = await new Mosquitto({ persistence: false }).start();
    t.teardown(() => broker.stop());
    const received: TranscriptPayload[] = [];
    const payloads = new Set<string>();
    const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    t.teardown(() => subscriber.end(true));
    subscriber.on('message', (_topic, payload) => {
      const body = JSON.parse(payload.toString()) as TranscriptPayload;
      received.push(body);
      payloads.add(payload.toString());
    });
    await subscriber.subscribeAsync('earshot/box-1/transcript/#', { qos: 1 });

    // The config the old release ran with, but for the broker, which is up now.
    const config = { ...spoolPipelineConfig({ siteId: 'box-1', spool: join(root, 'spool'), brokerUrl: broker.url, dataDir }) };
    const daemon = await startDaemon(config);
    t.teardown(() => {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    });
    const cli = async (...args: string[]) => {
      const r = await runCli([...args, '--json', '--socket', daemon.socket]);
      t.equal(r.code, 0, `earshot ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    type JobLine = { id: string; state: string; input: string; error?: string };
    const jobs = async () => (await cli('jobs', 'list')).jobs as JobLine[];
    // The long job, the speech the spool had cut, and second.wav still in the spool folder.
    await waitFor(() => /job done id=f-/.test(daemon.output()), 120_000, 'the long job to finish');
    await waitFor(() => received.some((r) => r.recording === 'second.wav'), 60_000, 'the recording left in the spool');
    let list: JobLine[] = [];
    for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      list = await jobs();
      if (list.every((j) => j.state === 'done' || j.state === 'failed')) break;
    }
    const longTranscripts = () => received.filter((r) => r.jobId === longId);
    await waitFor(() => new Set(longTranscripts().map((r) => r.id)).size >= LONG_COPIES * 2, 30_000, 'every transcript of the long job');

    t.same(list.filter((j) => j.state !== 'done' && j.state !== 'failed'), [], 'no job left pending');
    t.same(list.filter((j) => j.state === 'failed').map((j) => j.id), [failedId], 'the failed job is still failed, and nothing else failed');
    t.match(list.find((j) => j.id === failedId)?.error, /could not decode|cannot/, 'with its error');
    t.equal(list.find((j) => j.id === doneId)?.state, 'done', 'the finished job is still done');

    // Byte for byte: a segment the old release published but had not saved as done comes
    // again from the resumed job, under its id, with this run's figures.
    const missing = outboxed.filter((e) => !payloads.has(e.payload)).map((e) => e.id);
    t.same(missing, [], 'every transcript of the old outbox delivered, byte for byte');

    const resumed = /job resumed from its saved progress.*segmentsKept=(\d+)/.exec(daemon.output());
    t.equal(Number(resumed?.[1]), saved.length, 'the long job resumed from the progress the old release saved');
    const byOffset = new Map<number, Set<string>>();
    for (const r of longTranscripts()) byOffset.set(r.startOffsetSec, new Set([...(byOffset.get(r.startOffsetSec) ?? []), r.id]));
    t.equal(byOffset.size, LONG_COPIES * 2, 'every segment of the long recording published');
    t.same([...byOffset].filter(([, ids]) => ids.size > 1), [], 'no segment under two ids');
    const oldIds = saved.flatMap((s) => s.transcripts.map((x) => x.id));
    t.same(oldIds.filter((id) => !longTranscripts().some((r) => r.id === id)), [], 'the segments the old release published keep their ids');
    t.ok(received.some((r) => r.recording === 'first.wav'), 'the speech the spool had cut before the upgrade is transcribed');

    t.match(await cli('budget', 'show'), { powerBudgetWatts: 500, softC: 80 }, 'the budget set with the old release is in force');
    const plugins = (await cli('plugins', 'list')) as unknown as Array<{ alias: string; source: string; state: string }>;
    t.equal(plugins.find((p) => p.alias === 'itn-en' && p.source === 'builtin')?.state, 'disabled', 'the plugin disabled with the old release stays disabled');

    t.ok(readFileSync(ledgerFile, 'utf8').startsWith(oldLedger), 'the energy ledger is appended to, not rewritten');
    const entries = (jsonLines(ledgerFile) as Array<{ at: string }>).filter((e) => Date.parse(e.at) <= Date.now());
    const energy = await runCli(['energy', '--json', '--since', '520w', '--data-dir', dataDir]);
    t.equal((JSON.parse(energy.stdout) as { total: { jobs: number } }).total.jobs, entries.length, 'earshot energy counts the old entries with the new');

    // A checkout whose node_modules links another checkout finds its built-in plugins twice.
    const errors = daemon.output().split('\n').filter((l) => /^(?:<\d>)?ERROR/.test(l) && !/found twice/.test(l));
    t.same(errors, [], 'no error logged');
    daemon.child.kill('SIGTERM');
    t.equal(await daemon.exited, 0);
  });
}
