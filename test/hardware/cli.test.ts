import t from 'tap';
import { join } from 'node:path';
import Hardware from '../../daemon/cli/commands/hardware.js';
import type { HardwareProfile } from '../../daemon/hardware/probe.js';
import { fixturesDir, repoRoot } from '../helpers/paths.js';
import { captureOutput } from '../scheduler/helpers/capture-stdout.js';

/** Runs `earshot hardware --json --root <fixture>` and returns what it printed as JSON. */
async function hardwareJson(box: string): Promise<HardwareProfile> {
  const { stdout } = await captureOutput(() => Hardware.run(['--json', '--root', join(fixturesDir, 'sysfs', box)], repoRoot));
  return JSON.parse(stdout) as HardwareProfile;
}

t.test('earshot hardware --json against each fixture tree', async (t) => {
  const orin = await hardwareJson('jetson-orin');
  t.same([orin.device.kind, orin.device.model, orin.device.l4t], ['jetson', 'NVIDIA Jetson Orin Nano Developer Kit', 'R35.4.1']);
  t.same(orin.meters.map((m) => m.kind), ['ina3221']);
  t.ok(orin.thermal.some((s) => s.label === 'gpu-thermal'));

  const nuc = await hardwareJson('intel-nuc');
  t.same([nuc.device.kind, nuc.device.model], ['x86', 'NUC11TNHi7']);
  t.same(nuc.meters.map((m) => [m.kind, m.readable]), [['rapl', true]]);
  t.ok(nuc.thermal.some((s) => s.source === 'hwmon' && s.label.startsWith('coretemp')));
  t.equal(nuc.energySource, 'measured');

  const plain = await hardwareJson('no-meters');
  t.same(plain.meters, []);
  t.equal(plain.energySource, 'estimated');
});

t.test('a --root that does not exist is a clear error', async (t) => {
  await t.rejects(captureOutput(() => Hardware.run(['--root', '/nonexistent/earshot-root'], repoRoot)), /--root \/nonexistent\/earshot-root: no such directory/);
});
