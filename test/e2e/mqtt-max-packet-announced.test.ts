import t from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { runCli, startDaemon } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';

const SITE = 'branch';
const GROUP = 'maxpacket';
const HUGE = 50 * 1024 * 1024;

/** The daemon's peak resident memory so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!kb) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb[1]) * 1024;
}

/**
 * An MQTT 5 daemon announces in its CONNECT the largest packet it has a use for, so a broker
 * that follows the standard (Mosquitto) drops a 50 MB message on a topic it subscribes to
 * instead of sending it: the daemon's memory does not jump by the message, its connection
 * stays up, and commands of a normal size still work.
 */
t.test('50 MB messages on the command and fleet offer topics never reach an MQTT 5 daemon; commands still work', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const keyFile = join(tempDir('earshot-maxpacket-'), 'cmd.key');
  writeFileSync(keyFile, 'max-packet-test-shared-key-0123456789abcdef');
  chmodSync(keyFile, 0o600);
  const daemon = await startDaemon({
    siteId: SITE,
    mqtt: { url: broker.url, protocolVersion: 5, commands: { enabled: true, keyFile }, fleet: { enabled: true, group: GROUP, maxAudioBytes: 1 << 20 }, telemetryIntervalSec: 0 },
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
  });
  const pid = daemon.child.pid!;

  const before = await runCli(['status', '--json', '--site', SITE, '--broker', broker.url, '--key-file', keyFile]);
  t.equal(before.code, 0, `a remote status answers: ${before.stderr.slice(-300)}`);
  const peakBefore = peakRss(pid);

  const mallory = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'mallory', reconnectPeriod: 0 });
  t.teardown(() => mallory.endAsync(true));
  await mallory.publishAsync(`earshot/${SITE}/cmd/status`, Buffer.alloc(HUGE, 0x7b), { qos: 1 });
  // To the fleet worker's connection (the shared subscription on offers) as well.
  await mallory.publishAsync(`earshot/jobs/${GROUP}`, Buffer.alloc(HUGE, 0x7b), { qos: 1 });
  // The broker has it (PUBACK): it would be on its way to the daemon now. A second, normal command follows it.
  const after = await runCli(['status', '--json', '--site', SITE, '--broker', broker.url, '--key-file', keyFile]);
  t.equal(after.code, 0, `a remote status still answers after it: ${after.stderr.slice(-300)}`);
  const grew = peakRss(pid) - peakBefore;
  t.ok(grew < HUGE / 5, `the daemon's peak memory grew by ${(grew / 1048576).toFixed(1)} MiB, not by the ${HUGE / 1048576} MiB message`);
  t.notMatch(daemon.output(), /over the \d+ of mqtt\.commands\.maxBytes|offer ignored/, 'the daemon never received them to refuse them');
  const drops = broker.log().match(/Dropping too large outgoing PUBLISH for \S+/g) ?? [];
  t.same([...new Set(drops)].sort(), [`Dropping too large outgoing PUBLISH for earshot-${SITE}`, `Dropping too large outgoing PUBLISH for earshot-${SITE}-fleet`], 'Mosquitto dropped them for the main and the fleet connection');
  t.notMatch(daemon.output(), /lost the MQTT broker connection/, 'and its connection stayed up');
  t.equal(daemon.output().match(/connected to MQTT broker/g)?.length, 2, 'one connect each for the main and the fleet connection since start');

  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-1500));
});
