import t from 'tap';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distDir, tempDir } from '../helpers/paths.js';
import { callAt, syncedAfterOpen, traceFileCalls } from '../helpers/strace.js';
import { EnergyLedger, parseDuration } from '../../daemon/energy/ledger.js';

t.test('totals per day and source over a window, surviving a torn last line', async (t) => {
  const dir = tempDir();
  const ledger = new EnergyLedger(dir);
  const base = { kWh: 0, method: 'rapl', gPerKWh: 100, intensitySource: 'static', gCO2e: 0 };
  await ledger.record({ ...base, jobId: 'a', at: '2026-11-23T10:00:00.000Z', joules: 3600, kWh: 0.001, gCO2e: 0.1, source: 'measured' });
  await ledger.record({ ...base, jobId: 'b', at: '2026-11-24T10:00:00.000Z', joules: 7200, kWh: 0.002, gCO2e: 0.2, source: 'estimated' });
  await ledger.record({ ...base, jobId: 'c', at: '2026-11-24T11:00:00.000Z', joules: 3600, kWh: 0.001, gCO2e: 0.1, source: 'measured' });
  t.equal(readFileSync(join(dir, 'energy', 'ledger-2026-11.jsonl'), 'utf8').split('\n')[0], '{"format":1}', 'a month file begins with its format');
  appendFileSync(join(dir, 'energy', 'ledger-2026-11.jsonl'), '{"jobId":"d","at":"2026-11-24T1');
  const all = await ledger.totals(0, Date.parse('2026-11-25T00:00:00Z'));
  t.equal(all.total.jobs, 3);
  t.equal(all.total.joules, 14400);
  t.same(all.byDay.map((d) => [d.day, d.jobs]), [['2026-11-23', 1], ['2026-11-24', 2]]);
  t.equal(all.bySource.estimated.joules, 7200);
  const last24 = await ledger.totals(Date.parse('2026-11-24T00:00:00Z'), Date.parse('2026-11-25T00:00:00Z'));
  t.equal(last24.total.jobs, 2);
  t.ok(Math.abs(last24.total.gCO2e - 0.3) < 1e-12);
});

t.test('one file per UTC month; a year back is kept, older months are deleted; an old single-file ledger is still read', async (t) => {
  const dir = tempDir();
  const ledger = new EnergyLedger(dir);
  const base = { kWh: 0.001, method: 'rapl', gPerKWh: 100, intensitySource: 'static', gCO2e: 0.1, joules: 3600, source: 'measured' as const };
  await ledger.record({ ...base, jobId: 'sep', at: '2025-09-30T23:59:00.000Z' });
  await ledger.record({ ...base, jobId: 'oct', at: '2025-10-31T23:59:00.000Z' });
  await ledger.record({ ...base, jobId: 'nov-last-year', at: '2025-11-01T00:00:00.000Z' });
  t.same(readdirSync(join(dir, 'energy')).sort(), ['ledger-2025-09.jsonl', 'ledger-2025-10.jsonl', 'ledger-2025-11.jsonl']);
  await ledger.record({ ...base, jobId: 'nov', at: '2026-11-25T10:00:00.000Z' });
  t.same(readdirSync(join(dir, 'energy')).sort(), ['ledger-2025-11.jsonl', 'ledger-2026-11.jsonl'], 'from November 2026, the 13 months back to November 2025 stay');
  writeFileSync(join(dir, 'energy', 'ledger.jsonl'), JSON.stringify({ ...base, jobId: 'legacy', at: '2026-11-01T08:00:00.000Z' }) + '\n');
  const nov = await ledger.totals(Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-12-01T00:00:00Z'));
  t.equal(nov.total.jobs, 2, 'November: the new entry and the one in the old ledger.jsonl');
  const all = await ledger.totals(0, Date.parse('2026-12-01T00:00:00Z'));
  t.equal(all.total.jobs, 3, 'November 2025 is still there');
});

t.test('a month file an older release began is appended to as it is; one a newer release began is named, not read', async (t) => {
  const dir = tempDir();
  const base = { kWh: 0.001, method: 'rapl', gPerKWh: 100, intensitySource: 'static', gCO2e: 0.1, joules: 3600, source: 'measured' as const };
  mkdirSync(join(dir, 'energy'));
  const older = JSON.stringify({ ...base, jobId: 'older', at: '2026-11-01T08:00:00.000Z' }) + '\n';
  writeFileSync(join(dir, 'energy', 'ledger-2026-11.jsonl'), older);
  const ledger = new EnergyLedger(dir);
  await ledger.checkFormats();
  await ledger.record({ ...base, jobId: 'now', at: '2026-11-25T10:00:00.000Z' });
  t.ok(readFileSync(join(dir, 'energy', 'ledger-2026-11.jsonl'), 'utf8').startsWith(older), 'no format line put before the older entries');
  t.equal((await ledger.totals(0, Date.parse('2026-12-01T00:00:00Z'))).total.jobs, 2);

  const newer = join(dir, 'energy', 'ledger-2026-10.jsonl');
  writeFileSync(newer, '{"format":2}\n' + JSON.stringify({ ...base, jobId: 'newer', at: '2026-10-01T08:00:00.000Z' }) + '\n');
  await t.rejects(ledger.checkFormats(), { name: 'NewerFormatError', message: `${newer} is in format 2, written by a newer earshotd; this one reads format 1 at most` });
  await t.rejects(ledger.totals(0, Date.parse('2026-12-01T00:00:00Z')), { name: 'NewerFormatError' });
});

t.test('after a power cut left the last line cut short or a tail of zeros, the next entry is still read', async (t) => {
  const base = { kWh: 0.001, method: 'rapl', gPerKWh: 100, intensitySource: 'static', gCO2e: 0.1, joules: 3600, source: 'measured' as const };
  const whole = '{"format":1}\n' + JSON.stringify({ ...base, jobId: 'before', at: '2026-11-24T10:00:00.000Z' }) + '\n';
  for (const [what, tail] of [['cut short', '{"jobId":"torn","at":"2026-11-24T1'], ['zeros', '\0'.repeat(300)]] as const) {
    const dir = tempDir();
    mkdirSync(join(dir, 'energy'));
    writeFileSync(join(dir, 'energy', 'ledger-2026-11.jsonl'), whole + tail);
    const warned: unknown[] = [];
    const logger = { warn: (_m: unknown, fields: unknown) => warned.push(fields) } as unknown as ConstructorParameters<typeof EnergyLedger>[1];
    const ledger = new EnergyLedger(dir, logger);
    await ledger.record({ ...base, jobId: 'after', at: '2026-11-25T10:00:00.000Z' });
    await ledger.record({ ...base, jobId: 'later', at: '2026-11-25T11:00:00.000Z' });
    t.same((await ledger.entries()).map((e) => e.jobId), ['before', 'after', 'later'], `${what}: the entries written since are kept`);
    t.same(warned, [{ file: join(dir, 'energy', 'ledger-2026-11.jsonl') }], `${what}: said once, naming the file`);
  }
});

t.test('each entry is fsynced before record() resolves, and a new month file\'s name in its folder', async (t) => {
  const dir = tempDir('earshot-ledger-sync-');
  const file = join(dir, 'energy', 'ledger-2026-11.jsonl');
  const script = `
    const { EnergyLedger } = await import(${JSON.stringify(join(distDir, 'daemon', 'energy', 'ledger.js'))});
    const ledger = new EnergyLedger(${JSON.stringify(dir)});
    const base = { kWh: 0.001, method: 'rapl', gPerKWh: 100, intensitySource: 'static', gCO2e: 0.1, joules: 3600, source: 'measured' };
    await ledger.record({ ...base, jobId: 'first', at: '2026-11-24T10:00:00.000Z' });
    await ledger.record({ ...base, jobId: 'second', at: '2026-11-24T11:00:00.000Z' });`;
  const run = traceFileCalls([process.execPath, '--input-type=module', '-e', script]);
  t.equal(run.status, 0, run.stderr);
  const made = callAt(run.calls, 0, (l) => l.includes(`"${file}"`) && l.includes('O_EXCL'));
  t.not(made, -1, 'the month file is made');
  t.not(syncedAfterOpen(run.calls, made + 1, join(dir, 'energy')), -1, 'its folder is fsynced once it is made');
  // Each entry is one append (strace shows the write as pwrite64, not traced): its fd is fsynced before it is closed.
  const appends = run.calls.flatMap((l, i) => (l.includes(`openat(AT_FDCWD, "${file}"`) && l.includes('O_APPEND') ? [i] : []));
  t.equal(appends.length, 2, 'one append per entry');
  for (const at of appends) t.not(syncedAfterOpen(run.calls, at, file), -1, `the append opened on line ${at} is fsynced before its close`);
});

t.test('durations', async (t) => {
  t.equal(parseDuration('24h'), 86400e3);
  t.equal(parseDuration('7d'), 7 * 86400e3);
  t.throws(() => parseDuration('yesterday'), /use a number with s, m, h, d or w/);
});
