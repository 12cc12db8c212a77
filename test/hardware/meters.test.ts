import t from 'tap';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { parseNvidiaSmiCsv, NvmlMeter, queryNvidiaGpus, runCommand, type RunCommand } from '../../daemon/hardware/nvidia-smi.js';
import { parsePowermetrics, PowermetricsMeter } from '../../daemon/hardware/powermetrics.js';
import { BatteryMeter, readPowerSupplies, probeBattery } from '../../daemon/hardware/power-supply.js';
import { listInaRails, Ina3221Meter } from '../../daemon/hardware/ina3221.js';
import { listThermalSensors, pickSchedulerSensor } from '../../daemon/hardware/thermal.js';
import { joulesBetween } from '../../daemon/hardware/meter-types.js';

function tree(files: Record<string, string>): string {
  const root = tempDir('earshot-hw-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

// `nvidia-smi --query-gpu=index,name,memory.total,power.draw,power.limit,temperature.gpu --format=csv,noheader,nounits`
const SMI = '0, NVIDIA H200, 143771, 74.87, 700.00, 31\n1, NVIDIA A2, 15356, [N/A], [N/A], 44\n';

t.test('nvidia-smi CSV: fields, [N/A] left out', async (t) => {
  const gpus = parseNvidiaSmiCsv(SMI);
  t.same(gpus[0], { index: 0, name: 'NVIDIA H200', memoryMiB: 143771, powerDrawW: 74.87, powerLimitW: 700, temperatureC: 31 });
  t.same(gpus[1], { index: 1, name: 'NVIDIA A2', memoryMiB: 15356, temperatureC: 44 });
  t.throws(() => parseNvidiaSmiCsv('NVIDIA H200, 1\n'), /expected 6 columns/);
});

t.test('NVML meter: watts summed; a missing nvidia-smi is a reason, not a crash', async (t) => {
  let now = 0;
  const meter = new NvmlMeter(async (file, args) => {
    t.equal(file, 'nvidia-smi');
    t.match(args[0], /power\.draw/);
    return SMI;
  }, () => now);
  const a = await meter.read();
  now = 2000;
  const b = await meter.read();
  t.same(joulesBetween(a, b), { ok: true, joules: 74.87 * 2 });
  const absent = await queryNvidiaGpus(async () => {
    throw Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
  });
  t.same(absent.gpus, []);
  t.match(absent.error, /ENOENT/);
  const r = await new NvmlMeter(async () => '0, NVIDIA T4, 15360, [N/A], [N/A], 40\n').read();
  t.same([r.ok, 'reason' in r && r.reason], [false, 'nvidia-smi reports no power.draw']);
});

t.test('powermetrics text', async (t) => {
  t.equal(parsePowermetrics('CPU Power: 1200 mW\nGPU Power: 300 mW\nANE Power: 0 mW\nCombined Power (CPU + GPU + ANE): 1500 mW\n'), 1.5);
  t.equal(parsePowermetrics('CPU Power: 800 mW\nGPU Power: 200 mW\n'), 1);
  t.equal(parsePowermetrics('powermetrics must be invoked as the superuser'), undefined);
  const denied = await new PowermetricsMeter(async () => {
    throw new Error('Command failed: powermetrics must be invoked as the superuser');
  }).read();
  t.match('reason' in denied ? denied.reason : '', /needs root/);
});

t.test('battery: a meter only while discharging', async (t) => {
  const root = tree({
    'sys/class/power_supply/BAT0/type': 'Battery\n',
    'sys/class/power_supply/BAT0/status': 'Discharging\n',
    'sys/class/power_supply/BAT0/capacity': '83\n',
    'sys/class/power_supply/BAT0/current_now': '1500000\n',
    'sys/class/power_supply/BAT0/voltage_now': '12000000\n',
    'sys/class/power_supply/ADP1/type': 'Mains\n',
    'sys/class/power_supply/ADP1/online': '0\n',
  });
  const state = await readPowerSupplies(root);
  t.same([state.acOnline, state.batteries[0]?.percent, state.batteries[0]?.status], [false, 83, 'Discharging']);
  const probe = await probeBattery(root, state);
  t.same([probe.info?.readable, probe.info?.watts], [true, 18]);
  writeFileSync(join(root, 'sys/class/power_supply/BAT0/status'), 'Charging\n');
  const r = await new BatteryMeter(root, '/sys/class/power_supply/BAT0', 'BAT0').read();
  t.match('reason' in r ? r.reason : '', /Charging, not discharging/);
});

t.test('INA3221 legacy in_power files are summed when there is no VDD_IN', async (t) => {
  const root = tree({
    'sys/class/hwmon/hwmon0/name': 'ina3221x\n',
    'sys/class/hwmon/hwmon0/rail_name_0': 'VDD_IN_GPU\n',
    'sys/class/hwmon/hwmon0/in_power0_input': '1500\n',
    'sys/class/hwmon/hwmon0/rail_name_1': 'VDD_IN_CPU\n',
    'sys/class/hwmon/hwmon0/in_power1_input': '750\n',
  });
  const rails = await listInaRails(root);
  t.same(rails.map((r) => r.label), ['VDD_IN_GPU', 'VDD_IN_CPU']);
  const r = await new Ina3221Meter(root, rails).read();
  t.same('watts' in r && r.watts, 2.25);
});

t.test('scheduler sensor: configured id or label wins, else the hottest CPU sensor', async (t) => {
  const root = tree({
    'sys/class/thermal/thermal_zone0/type': 'acpitz\n',
    'sys/class/thermal/thermal_zone0/temp': '95000\n',
    'sys/class/thermal/thermal_zone1/type': 'x86_pkg_temp\n',
    'sys/class/thermal/thermal_zone1/temp': '61000\n',
    'sys/class/thermal/thermal_zone2/type': 'disabled\n',
    'sys/class/thermal/thermal_zone2/temp': '-273000\n',
  });
  const sensors = await listThermalSensors(root);
  t.equal(sensors[2]?.celsius, undefined, 'implausible readings are dropped');
  t.equal(pickSchedulerSensor(sensors)?.id, 'thermal_zone1');
  t.equal(pickSchedulerSensor(sensors, 'acpitz')?.id, 'thermal_zone0');
  t.equal(pickSchedulerSensor(sensors, 'nope'), undefined);
});

t.test('a meter tool that hangs and ignores SIGTERM is given up on shortly after its timeout', async (t) => {
  // What nvidia-smi does once a GPU has fallen off the bus: no answer, deaf to SIGTERM. Its
  // own child keeps stdout open, so even killing the shell closes no pipe.
  const dir = tempDir('earshot-hw-');
  const tool = join(dir, 'nvidia-smi');
  writeFileSync(tool, "#!/bin/sh\ntrap '' TERM\nsleep 20\n");
  chmodSync(tool, 0o755);
  const run: RunCommand = (_file, args) => runCommand(tool, args, 300);
  const started = Date.now();
  const reading = await new NvmlMeter(run).read();
  const tookMs = Date.now() - started;
  t.match(reading, { ok: false, reason: /^nvidia-smi: / }, 'an unreadable meter, with the reason');
  t.ok(tookMs < 10_000, `answered in ${tookMs} ms, not after the tool's 20 s`);
});
