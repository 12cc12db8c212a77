import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { EarshotCommand } from '../earshot-command.js';
import { probeHardware, type HardwareProfile } from '../../hardware/probe.js';

export default class Hardware extends EarshotCommand {
  static override summary = 'Show what this box is and what it can measure: CPU, memory, GPUs, onnxruntime providers, temperature sensors, power meters.';
  static override description = 'Works without the daemon. Every sysfs/procfs read happens under --root, so a copied tree (or a container mount of the host) can be inspected.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> hardware', '<%= config.bin %> hardware --json', '<%= config.bin %> hardware --root test/fixtures/sysfs/jetson-orin --json'];
  static override flags = {
    root: Flags.string({ description: 'read /sys, /proc and /etc under this directory', default: '/' }),
  };

  async run(): Promise<HardwareProfile> {
    const { flags } = await this.parse(Hardware);
    const root = resolve(flags.root);
    if (!existsSync(root)) this.error(`--root ${flags.root}: no such directory`, { exit: 1, suggestions: ['pass a directory that holds sys/ and proc/, or leave --root out for this box'] });
    const { profile } = await probeHardware({ root });
    const gb = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;
    this.log(`device    ${profile.device.kind}: ${profile.device.model}${profile.device.l4t ? ` (L4T ${profile.device.l4t})` : ''}`);
    this.log(`cpu       ${profile.cpu.model}, ${profile.cpu.logicalCores} threads (power model: ${profile.cpu.family})`);
    this.log(`memory    ${gb(profile.memory.totalBytes)}${profile.memory.availableBytes !== undefined ? `, ${gb(profile.memory.availableBytes)} available` : ''}`);
    for (const g of profile.gpus) this.log(`gpu       ${g.model}${g.memoryMiB ? `, ${g.memoryMiB} MiB` : ''} (${g.source})`);
    this.log(`onnx      ${profile.executionProviders.map((p) => (p.bundled ? p.name : `${p.name} (needs its libraries)`)).join(', ') || 'none found'}`);
    for (const s of profile.thermal) this.log(`sensor    ${s.id.padEnd(16)} ${s.label.padEnd(28)} ${s.celsius === undefined ? 'unreadable' : `${s.celsius.toFixed(1)} °C`}`);
    if (profile.meters.length === 0) this.log('meter     none: energy figures will be estimated from CPU time');
    for (const m of profile.meters) this.log(`meter     ${m.kind.padEnd(12)} ${m.name}${m.readable ? (m.watts !== undefined ? `  ${m.watts.toFixed(2)} W` : '  readable') : `  NOT READABLE: ${m.note ?? ''}`}`);
    this.log(`power     ${profile.power.onBattery ? 'on battery' : profile.power.acOnline === false ? 'AC offline' : 'mains'}${profile.power.batteryPercent !== undefined ? `, battery ${profile.power.batteryPercent} %` : ''}; energy is ${profile.energySource}`);
    return profile;
  }
}
