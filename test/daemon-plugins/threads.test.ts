import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PluginsConfig } from '../../daemon/plugins/types.js';
import { waitFor } from '../helpers/daemon-process.js';
import { startSandboxHost } from './sandbox.js';

/**
 * Plugins in their own worker threads (isolation "thread", the default for plugins that are
 * not built in): what no promise race can catch in one thread — a synchronous endless loop,
 * process.exit, a runaway allocation — stops the plugin, never the daemon.
 */
function startHost(t: { teardown(fn: () => Promise<void>): void }, fixtures: string[], overrides: Partial<PluginsConfig> = {}) {
  return startSandboxHost(t, fixtures, { timeoutMs: 1000, ...overrides });
}

/** CPU seconds this process (all its threads) burns over `ms`. */
async function cpuSecondsOver(ms: number): Promise<number> {
  const before = process.cpuUsage();
  await sleep(ms);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

t.test('a synchronous endless loop costs its time limit; the daemon keeps its event loop; the thread is stopped at once', async (t) => {
  const { host, sb } = await startHost(t, ['spinning']);
  t.match(host.list().find((s) => s.alias === 'spinning'), { state: 'running', isolation: 'thread' });
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  t.teardown(() => clearInterval(ticker));

  const first = await host.process({ text: 'spin acme', language: 'en' });
  t.equal(first.text, 'spin ACME', 'the other plugins still ran');
  t.match(first.skipped, [{ plugin: 'earshot-plugin-spinning', reason: 'timed out after 1000 ms' }]);
  t.ok(ticks >= 20, `the daemon's own timers fired while the plugin spun (${ticks} ticks of 10 ms in 1 s)`);

  // The thread is still spinning on the first call and does not answer a ping either: it is
  // stopped within a second, without waiting for more calls to fail (maxFailures is 2 here;
  // when transcripts are rare, more failures could be hours away).
  await waitFor(() => host.info('spinning').state === 'failed', 5000, 'the spinning plugin set aside');
  t.match(host.info('spinning'), { state: 'failed', failures: 1, consecutiveFailures: 1, error: /^its thread is stuck in a normalizer call/ }, 'one stuck call is one failure, not two');
  t.ok(sb.lines.some((l) => l.startsWith('ERROR') && l.includes('plugin earshot-plugin-spinning stopped: its thread is stuck in a normalizer call')), 'the stop is logged by name');
  const second = await host.process({ text: 'acme again', language: 'en' });
  t.equal(second.text, 'ACME again');
  t.match(second.skipped, [{ plugin: 'earshot-plugin-spinning', reason: /^disabled after 1 failure \(last: its thread is stuck/ }]);

  // Once set aside, its thread is gone: the process no longer burns a core.
  await sleep(300);
  const cpu = await cpuSecondsOver(1000);
  t.ok(cpu < 0.6, `after the plugin was set aside the process used ${cpu.toFixed(2)} CPU s in 1 s (a spinning thread would use ~1)`);

  // Enabled again it gets a fresh thread and serves what does not make it spin.
  t.match(await host.enable('spinning'), { state: 'running', isolation: 'thread', consecutiveFailures: 0 });
  const third = await host.process({ text: 'acme fine', language: 'en' });
  t.same(third.skipped, []);
  t.same(third.applied.sort(), ['earshot-plugin-shout', 'earshot-plugin-spinning']);
});

t.test('process.exit inside a plugin ends its thread only: the plugin is failed at once, transcripts go on', async (t) => {
  const { host, sb } = await startHost(t, ['exiting']);
  const out = await host.process({ text: 'acme', language: 'en' });
  t.equal(out.text, 'ACME');
  t.match(out.skipped, [{ plugin: 'earshot-plugin-exiting', reason: /exited with code 3/ }]);
  for (let i = 0; i < 200 && host.list().find((s) => s.alias === 'exiting')?.state !== 'failed'; i++) await sleep(10);
  t.match(host.list().find((s) => s.alias === 'exiting'), { state: 'failed', error: /exited with code 3/ });
  t.ok(sb.lines.some((l) => l.startsWith('ERROR') && /plugin earshot-plugin-exiting stopped: its thread exited with code 3/.test(l)));
  const after = await host.process({ text: 'acme', language: 'en' });
  t.equal(after.text, 'ACME', 'this process is alive and still transcribing');
});

t.test('a plugin that allocates without bound hits its thread heap limit, not the daemon', async (t) => {
  const { host } = await startHost(t, ['hog'], { threadMemoryMb: 96, timeoutMs: 20_000 });
  const out = await host.process({ text: 'acme', language: 'en' });
  t.equal(out.text, 'ACME');
  t.match(out.skipped, [{ plugin: 'earshot-plugin-hog', reason: /memory/i }]);
  t.match(host.list().find((s) => s.alias === 'hog'), { state: 'failed' });
  t.ok(process.memoryUsage().heapUsed < 512 * 1024 * 1024, 'the daemon heap did not take the allocation');
});

t.test('a plugin holding Buffers past plugins.threadBufferMb is stopped, though its heap is small', async (t) => {
  const { host, sb } = await startHost(t, ['buffer-hog'], { threadBufferMb: 64, timeoutMs: 5000 });
  // 32 MB a call: the third puts the thread over 64 MB; its next report (within a second) stops it.
  for (let i = 0; i < 3; i++) t.equal((await host.process({ text: 'acme', language: 'en' })).text, 'ACME');
  const state = () => host.list().find((s) => s.alias === 'buffer-hog');
  for (let i = 0; i < 100 && state()?.state !== 'failed'; i++) await sleep(50);
  t.match(state(), { state: 'failed', error: /held \d+ MB outside its JavaScript heap \(Buffers, ArrayBuffers\), more than plugins\.threadBufferMb \(64 MB\)/ });
  t.ok(sb.lines.some((l) => l.startsWith('ERROR') && l.includes('plugin earshot-plugin-buffer-hog stopped')), 'said in the log');
  const after = await host.process({ text: 'acme', language: 'en' });
  t.equal(after.text, 'ACME', 'the daemon goes on transcribing, with the other plugins');
});

t.test('isolation "inline" runs the same plugin in the daemon thread, and logs from threads carry the plugin name', async (t) => {
  const inline = await startHost(t, [], { isolation: 'inline' });
  t.match(inline.host.list().find((s) => s.alias === 'shout'), { state: 'running', isolation: 'inline' });
  t.equal((await inline.host.process({ text: 'acme', language: 'en' })).text, 'ACME');

  const threaded = await startHost(t, [], { isolation: 'thread' });
  t.match(threaded.host.list().find((s) => s.alias === 'shout'), { state: 'running', isolation: 'thread', description: 'Upper-cases configured words' });
  t.same(threaded.host.hotwords(), [{ phrase: 'acme', boost: 2 }], 'the hotword list crossed the thread');
  t.ok(threaded.sb.lines.some((l) => l.startsWith('INFO') && l.includes('earshot:plugins:shout') && l.includes('shouting 1 words')), 'a log record from inside the thread');
  await threaded.host.disable('shout');
  t.notOk(threaded.host.list().find((s) => s.alias === 'shout')?.isolation, 'no thread once disabled');
});

t.test('what a careless plugin posts to parentPort is ignored; log and stdout floods are cut and counted', async (t) => {
  const { host, sb } = await startHost(t, ['chatty']);
  const out = await host.process({ text: 'acme', language: 'en' });
  t.equal(out.text, 'ACME chatted', 'its answer came through its private port, not the forged one');
  t.same(out.skipped, []);
  await sleep(1500); // drop reports come once a second
  t.match(host.list().find((s) => s.alias === 'chatty'), { state: 'running', failures: 0 });
  const lines = sb.lines.filter((l) => l.includes('earshot:plugins:chatty'));
  t.ok(lines.length < 700, `${lines.length} of 7000 records and output lines reached the log`);
  t.ok(lines.some((l) => /log records dropped: the plugin logged more than 50 per second/.test(l)) || lines.some((l) => /chunks of the plugin.s stdout\/stderr dropped/.test(l)), 'the cut is reported');
});

t.test('a scheduled task stuck in a synchronous loop is timed from outside and the plugin set aside', async (t) => {
  const { host } = await startHost(t, ['stuck-task'], { lifecycleTimeoutMs: 300, maxFailures: 1 });
  t.same(host.hotwords().map((h) => h.phrase).sort(), ['acme', 'stuck'], 'both providers listed');
  // The task starts after 1 s and is counted timed out 300 ms + 1 s grace later.
  for (let i = 0; i < 400 && host.list().find((s) => s.alias === 'stuck-task')?.state !== 'failed'; i++) await sleep(10);
  t.match(host.list().find((s) => s.alias === 'stuck-task'), { state: 'failed', error: 'scheduled task timed out after 300 ms' });
  t.same(host.hotwords(), [{ phrase: 'acme', boost: 2 }], 'its hotwords are gone with it');
  await sleep(400);
  const cpu = await cpuSecondsOver(1000);
  t.ok(cpu < 0.6, `its thread was terminated: ${cpu.toFixed(2)} CPU s in 1 s`);
});

t.test('a scheduled task stuck in a synchronous loop stops its thread before maxFailures: nothing else can run there', async (t) => {
  const { host, sb } = await startHost(t, ['stuck-task'], { lifecycleTimeoutMs: 300, maxFailures: 3 });
  const state = () => host.info('stuck-task');
  // The task starts after 1 s, is counted timed out 300 ms + 1 s grace later, and its thread
  // then gets 1 s more to answer a ping: two failures short of maxFailures, it is set aside anyway.
  await waitFor(() => state().state === 'failed', 8000, 'stuck-task set aside');
  t.match(state(), { state: 'failed', failures: 1, consecutiveFailures: 1, error: /^its thread is stuck in a scheduled task/ }, 'the stuck task is one failure, not two');
  t.ok(sb.lines.some((l) => l.startsWith('WARN') && l.includes('plugin earshot-plugin-stuck-task failed: scheduled task timed out after 300 ms')), 'the timeout is logged by name');
  t.ok(sb.lines.some((l) => l.startsWith('ERROR') && l.includes('plugin earshot-plugin-stuck-task stopped: its thread is stuck')), 'and so is the stop');
  const out = await host.process({ text: 'acme', language: 'en' });
  t.equal(out.text, 'ACME', 'transcripts go on');
  t.match(out.skipped, [{ plugin: 'earshot-plugin-stuck-task', reason: /^disabled after 1 failure \(last: its thread is stuck/ }]);
  t.same(host.hotwords(), [{ phrase: 'acme', boost: 2 }], 'its hotwords are gone with it');
  await sleep(300);
  const cpu = await cpuSecondsOver(1000);
  t.ok(cpu < 0.6, `its thread was terminated: ${cpu.toFixed(2)} CPU s in 1 s`);
});

t.test('a scheduled task whose promise never settles is cut off at its limit; the thread lives on and its next runs count again', async (t) => {
  const { host, sb } = await startHost(t, ['hanging-task'], { lifecycleTimeoutMs: 300 });
  const state = () => host.info('hanging-task');
  // The first run starts after 1 s; the thread's own limit ends it 300 ms later.
  await waitFor(() => state().failures === 1, 5000, 'the first run to time out');
  t.match(state(), { state: 'running', isolation: 'thread', consecutiveFailures: 1, error: 'scheduled task timed out after 300 ms' });
  t.ok(sb.lines.some((l) => l.startsWith('WARN') && l.includes('plugin earshot-plugin-hanging-task failed: scheduled task timed out after 300 ms')), 'logged by name');
  t.equal((await host.process({ text: 'acme', language: 'en' })).text, 'ACME', 'transcripts go on meanwhile');
  const callsBefore = state().calls;
  await waitFor(() => state().calls > callsBefore, 3000, 'a later run to succeed');
  t.match(state(), { state: 'running', consecutiveFailures: 0 }, 'a good run clears the count');
  // Past the host's own timer for the first run (its limit + 1 s grace): not counted twice.
  await sleep(1500);
  t.match(state(), { state: 'running', failures: 1, consecutiveFailures: 0 });
  t.same(host.hotwords().map((h) => h.phrase).sort(), ['acme', 'hanging']);
});

/** As in plugin-worker.ts: what a plugin's own logger lets through. */
const LOGS_PER_SECOND = 50;
const LOG_BURST = 200;

t.test('a plugin logging in a tight loop gets its burst and 50 records a second through, the rest counted in one report', async (t) => {
  const { host, sb } = await startHost(t, ['log-flood'], { timeoutMs: 10_000 });
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  t.teardown(() => clearInterval(ticker));
  const began = performance.now();
  const out = await host.process({ text: 'acme', language: 'en' });
  const seconds = (performance.now() - began) / 1000;
  t.match(out, { text: /^ACME logged \d+$/, applied: ['earshot-plugin-log-flood', 'earshot-plugin-shout'], skipped: [] }, 'the transcript came through both plugins');
  t.ok(ticks >= 20, `the daemon's own timers fired during the flood (${ticks} ticks of 10 ms in ${seconds.toFixed(1)} s)`);
  const logged = Number(/logged (\d+)$/.exec(out.text)![1]);

  // The report comes from the thread's timer, once its loop is free again.
  const report = /earshot:plugins:log-flood (\d+) log records dropped: the plugin logged more than 50 per second/;
  await waitFor(() => sb.lines.some((l) => report.test(l)), 3000, 'the drop report');
  await sleep(1500); // a second report would come a second after the first
  const reports = sb.lines.filter((l) => report.test(l));
  t.equal(reports.length, 1, 'one flood, one report');
  t.ok(reports[0]!.startsWith('WARN'));
  const passed = sb.lines.filter((l) => / earshot:plugins:log-flood flood \d+/.test(l)).length;
  t.ok(passed >= LOG_BURST, `the burst passed: ${passed} records`);
  t.ok(passed <= LOG_BURST + LOGS_PER_SECOND * seconds + 1, `${passed} records of ${logged} in ${seconds.toFixed(1)} s reached the log`);
  t.equal(passed + Number(report.exec(reports[0]!)![1]), logged, 'every record either logged or counted as dropped');
  t.notOk(sb.lines.some((l) => l.includes("log records from the plugin's thread dropped")), "the thread's own limit cut, not the host's backstop");
  t.match(host.info('log-flood'), { state: 'running', failures: 0 });
});

t.test('two enables at once start one instance; a disable during a start wins', async (t) => {
  const { host, sb } = await startHost(t, ['counting'], { disabled: ['counting'] });
  const log = join(sb.dataDir, 'plugins', 'earshot-plugin-counting', 'creates.log');
  await Promise.all([host.enable('counting'), host.enable('counting')]);
  t.equal(readFileSync(log, 'utf8').trim().split('\n').length, 1, 'one create()');
  t.match(host.list().find((s) => s.alias === 'counting'), { state: 'running', isolation: 'thread' });
  await host.disable('counting');
  const enabling = host.enable('counting');
  await host.disable('counting');
  await enabling;
  t.match(host.list().find((s) => s.alias === 'counting'), { state: 'disabled' }, 'the later disable is the final word');
  t.notOk(host.list().find((s) => s.alias === 'counting')?.isolation, 'and no thread runs');
});

t.test('plugin code cannot reach the private port: nothing it forges arrives', async (t) => {
  const { host, sb } = await startHost(t, ['forger'], { timeouts: { forger: 5000 } });
  const logs = await host.process({ text: 'logs' });
  t.equal(logs.text, 'logs: port unreachable', 'workerData does not carry the port');
  await host.process({ text: 'tasks' });
  await sleep(200);
  t.notOk(sb.lines.some((l) => l.includes('forged ')), 'no forged log record reached the log');
  t.match(host.info('forger'), { state: 'running', failures: 0, calls: 2 });
});
