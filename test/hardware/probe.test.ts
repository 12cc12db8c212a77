import t from 'tap';
import { join } from 'node:path';
import { fixturesDir } from '../helpers/paths.js';
import { probeHardware, parseTegraRelease } from '../../daemon/hardware/probe.js';

const sysfs = (box: string): string => join(fixturesDir, 'sysfs', box);
const noBackends = async (): Promise<Array<{ name: string; bundled: boolean }>> => [{ name: 'cpu', bundled: true }];

t.test('Jetson Orin fixture: jetson device, INA3221 meter on VDD_IN, SoC thermal zones', async (t) => {
  const { profile, meters } = await probeHardware({ root: sysfs('jetson-orin'), platform: 'linux', ortBackends: noBackends });
  t.equal(profile.device.kind, 'jetson');
  t.equal(profile.device.model, 'NVIDIA Jetson Orin Nano Developer Kit');
  t.equal(profile.device.l4t, 'R35.4.1');
  t.equal(profile.cpu.model, 'ARM Cortex-A78AE');
  t.equal(profile.cpu.family, 'arm-cortex-a78');
  t.equal(profile.cpu.logicalCores, 6);
  t.equal(profile.memory.totalBytes, 7454504 * 1024);
  t.same(profile.meters.map((m) => [m.kind, m.name, m.readable]), [['ina3221', 'VDD_IN', true]]);
  // 5048 mV × 1208 mA on VDD_IN.
  t.ok(Math.abs((profile.meters[0]?.watts ?? 0) - 6.098) < 0.001, `VDD_IN watts ${profile.meters[0]?.watts}`);
  t.equal(meters.length, 1);
  t.equal(profile.energySource, 'measured');
  const zones = profile.thermal.filter((s) => s.source === 'thermal_zone').map((s) => s.label);
  t.same(zones.slice(0, 2), ['cpu-thermal', 'gpu-thermal']);
  t.equal(zones.length, 9);
  t.equal(profile.thermal.find((s) => s.label === 'tj-thermal')?.celsius, 48.25);
  t.equal(profile.gpus[0]?.source, 'jetson');
});

t.test('Intel NUC fixture: x86, RAPL package+dram meter, coretemp and thermal zones', async (t) => {
  const { profile, meters } = await probeHardware({ root: sysfs('intel-nuc'), platform: 'linux', ortBackends: noBackends });
  t.equal(profile.device.kind, 'x86');
  t.equal(profile.device.model, 'NUC11TNHi7');
  t.equal(profile.cpu.family, 'intel-core');
  t.equal(profile.cpu.logicalCores, 8);
  t.same(profile.meters.map((m) => [m.kind, m.name, m.readable]), [['rapl', 'package-0+dram', true]]);
  t.equal(meters[0]?.kind, 'rapl');
  t.equal(profile.energySource, 'measured');
  t.ok(profile.thermal.some((s) => s.label === 'coretemp: Package id 0' && s.celsius === 46));
  t.ok(profile.thermal.some((s) => s.label === 'x86_pkg_temp' && s.celsius === 45));
  t.equal(profile.power.acOnline, true);
  t.equal(profile.power.onBattery, false);
  t.same(profile.gpus, []);
});

t.test('box without meters: estimated energy, sensors still listed', async (t) => {
  const { profile, meters } = await probeHardware({ root: sysfs('no-meters'), platform: 'linux', ortBackends: noBackends });
  t.equal(profile.device.kind, 'x86');
  t.same(profile.meters, []);
  t.equal(meters.length, 0);
  t.equal(profile.energySource, 'estimated');
  t.same(profile.thermal.map((s) => [s.id, s.celsius]), [['thermal_zone0', 27.8]]);
});

t.test('execution providers come from onnxruntime-node itself', async (t) => {
  const { profile } = await probeHardware({ root: sysfs('no-meters'), platform: 'linux' });
  t.ok(profile.executionProviders.some((p) => p.name === 'cpu' && p.bundled), JSON.stringify(profile.executionProviders));
});

t.test('nv_tegra_release parsing', async (t) => {
  t.equal(parseTegraRelease('# R36 (release), REVISION: 3.0, GCID: 36923193, BOARD: generic'), 'R36.3.0');
  t.equal(parseTegraRelease('garbage'), undefined);
});
