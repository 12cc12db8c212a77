import t from 'tap';
import { cpSync, writeFileSync, chmodSync } from 'node:fs';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { fixturesDir, tempDir, repoRoot } from '../helpers/paths.js';
import { loaderArgs, childEnv } from '../scheduler/helpers/spawn-node.js';
import { listRaplZones, RaplMeter, probeRapl } from '../../daemon/hardware/rapl.js';
import { joulesBetween, counterDelta } from '../../daemon/hardware/meter-types.js';

function nucCopy(): string {
  const root = tempDir('earshot-rapl-');
  cpSync(join(fixturesDir, 'sysfs', 'intel-nuc'), root, { recursive: true });
  return root;
}
const zoneFile = (root: string, zone: string, file: string): string => join(root, 'sys/class/powercap', zone, file);

t.test('joules from two readings of the real counter files', async (t) => {
  const root = nucCopy();
  let now = 1_000;
  const meter = new RaplMeter(root, await listRaplZones(root), () => now);
  const a = await meter.read();
  writeFileSync(zoneFile(root, 'intel-rapl:0', 'energy_uj'), String(189235871552 + 12_500_000));
  writeFileSync(zoneFile(root, 'intel-rapl:0:2', 'energy_uj'), String(1398734112 + 500_000));
  now += 1_000;
  const b = await meter.read();
  t.same(joulesBetween(a, b), { ok: true, joules: 13 });
});

t.test('wrap-around at max_energy_range_uj gives the right positive joules', async (t) => {
  const root = nucCopy();
  const max = 262143328850;
  writeFileSync(zoneFile(root, 'intel-rapl:0', 'energy_uj'), String(max - 2_000_000));
  let now = 0;
  const meter = new RaplMeter(root, await listRaplZones(root), () => now);
  const a = await meter.read();
  writeFileSync(zoneFile(root, 'intel-rapl:0', 'energy_uj'), String(3_000_000));
  now = 1000;
  const b = await meter.read();
  t.same(joulesBetween(a, b), { ok: true, joules: 5 });
});

t.test('a counter that goes backwards with no known range is refused, not negative', async (t) => {
  t.equal(counterDelta({ uj: 10 }, { uj: 5 }), undefined);
  t.equal(counterDelta({ uj: NaN }, { uj: 5 }), undefined);
  const r = joulesBetween({ ok: true, atMs: 0, counters: { z: { uj: 10 } } }, { ok: true, atMs: 1, counters: { z: { uj: 5 } } });
  t.equal(r.ok, false);
});

t.test('garbage in energy_uj is an unreadable meter, never NaN', async (t) => {
  const root = nucCopy();
  writeFileSync(zoneFile(root, 'intel-rapl:0', 'energy_uj'), 'not a number\n');
  const probe = await probeRapl(root);
  t.equal(probe.meter, undefined);
  t.equal(probe.info?.readable, false);
  t.match(probe.info?.note, /EINVAL/);
});

t.test('EACCES on energy_uj (unprivileged daemon) → meter not readable, with a hint', async (t) => {
  const root = nucCopy();
  spawnSync('chmod', ['-R', 'a+rX', root]);
  chmodSync(zoneFile(root, 'intel-rapl:0', 'energy_uj'), 0o400);
  // Root reads anything, so probe as "nobody" in a child process to get a real EACCES.
  const self = fileURLToPath(import.meta.url);
  const child = join(dirname(self), 'rapl-probe-child' + extname(self));
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const r = spawnSync(process.execPath, [...loaderArgs(), child, root], { ...asNobody, env: childEnv(), encoding: 'utf8', cwd: repoRoot });
  t.match(r.stdout, /readable/, 'the unprivileged child printed its probe result');
  const info = JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null') as { readable?: boolean; note?: string } | null;
  t.equal(info?.readable, false);
  t.match(info?.note, /EACCES/);
  t.match(info?.note, /root-only/);
});

