import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignedReadings, signCarbonReading } from '../../../daemon/energy/carbon/signed-reading.js';
import { schemasDir } from '../../../daemon/mqtt/payload-schemas.js';
import { runCli } from '../../helpers/daemon-process.js';
import { tempDir } from '../../helpers/paths.js';

const key = Buffer.from('k'.repeat(40));
const topic = 'site-a/grid/intensity';
const python3 = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));

/** The Python examples of schemas/README.md, in order, as a reader would copy them (the reading's uses the command's canonical_json). */
function readmePython(): string {
  const blocks = [...readFileSync(join(schemasDir, 'README.md'), 'utf8').matchAll(/```python\n([^]*?)```/g)].map((m) => m[1]!);
  if (!blocks.some((b) => b.includes('def sign_reading'))) throw new Error('schemas/README.md has no ```python example with sign_reading');
  return blocks.join('\n');
}

t.test('a reading signed by the Python example in schemas/README.md is taken, whole floats and a forecast included', { skip: python3 ? false : 'python3 is not installed' }, async (t) => {
  const reading = '{"gPerKWh": 182.0, "at": "2026-11-26T10:00:00Z", "forecast": [{"from": "2026-11-26T11:00Z", "to": "2026-11-26T12:00Z", "gPerKWh": 90.5}]}';
  const driver = [readmePython(), 'import sys', 'print(json.dumps(sign_reading(sys.argv[1].encode(), sys.argv[2], json.loads(sys.argv[3]))))'].join('\n');
  const sign = async (onTopic: string): Promise<unknown> => JSON.parse((await promisify(execFile)(python3!, ['-c', driver, key.toString(), onTopic, reading])).stdout);
  const signed = await sign(topic);
  const opened = new SignedReadings(key, topic, 90 * 60_000).open(signed, Date.now());
  t.match(opened, { reading: { gPerKWh: 182, at: '2026-11-26T10:00:00Z', forecast: [{ gPerKWh: 90.5 }] } }, 'the daemon takes it');
  t.notOk('ts' in ((opened as { reading?: object }).reading ?? {}), 'what signing adds is not part of the reading');
  t.match(new SignedReadings(key, topic, 90 * 60_000).open(await sign('site-b/grid/intensity'), Date.now()), { problem: /signature does not match/ }, 'signed for another topic: refused');
});

t.test('earshot carbon sign: signs for the topic in the config; a bad reading or a key others may read is refused, naming it', async (t) => {
  const dir = tempDir('carbon-sign-');
  const keyFile = join(dir, 'carbon.key');
  writeFileSync(keyFile, key.toString(), { mode: 0o600 });
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ scheduler: { carbon: { source: 'mqtt', mqttTopic: topic } } }));

  const ok = await runCli(['carbon', 'sign', '{"gPerKWh":182,"at":"2026-11-26T10:00:00Z"}', '--key-file', keyFile, '--config', config]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(new SignedReadings(key, topic, 90 * 60_000).open(JSON.parse(ok.stdout), Date.now()), { reading: { gPerKWh: 182, at: '2026-11-26T10:00:00Z' } }, 'signed for scheduler.carbon.mqttTopic of --config');

  const json = await runCli(['carbon', 'sign', '182', '--key-file', keyFile, '--config', config, '--json']);
  t.equal(json.code, 0, json.stderr);
  t.match(new SignedReadings(key, topic, 90 * 60_000).open(JSON.parse(json.stdout), Date.now()), { reading: { gPerKWh: 182 } }, '--json prints the same signed reading');

  const bad = await runCli(['carbon', 'sign', '{"gPerKWh":"high"}', '--key-file', keyFile]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /READING: \/gPerKWh: must be number/);
  const unknown = await runCli(['carbon', 'sign', '{"gPerKwh":182}', '--key-file', keyFile]);
  t.match([unknown.code, unknown.stderr], [2, /unknown field\(s\) gPerKwh/], 'a misspelt field is named, not signed and ignored by every box');

  const open = join(dir, 'open.key');
  writeFileSync(open, key.toString(), { mode: 0o644 });
  const refused = await runCli(['carbon', 'sign', '182', '--key-file', open]);
  t.equal(refused.code, 1);
  // oclif wraps errors to the terminal width behind '›' gutters.
  t.match(refused.stderr.replace(/[\s›]+/g, ' '), /--key-file .*open\.key is readable by others \(mode 0644\); run: chmod 600/);
  t.equal(refused.stdout, '', 'nothing to publish');
});

t.test('with maxAgeMinutes under the 5 min of clock skew, a reading signed a little ahead is taken, and taking it again is let go', async (t) => {
  const now = Date.parse('2026-11-26T10:00:00Z');
  const readings = new SignedReadings(key, topic, 60_000);
  const ahead = signCarbonReading(key, topic, { gPerKWh: 182 }, { now: now + 3 * 60_000 });
  t.match(readings.open(ahead, now), { reading: { gPerKWh: 182 } }, '3 min ahead of a box whose values go stale after 1 min');
  t.match(readings.open({ ...ahead }, now + 30_000), { redelivered: true }, 'sent again at reconnect: seen before');
  readings.open(signCarbonReading(key, topic, { gPerKWh: 90 }, { now }), now + 30_000);
  // Sent again after another was taken (a retained one at reconnect, or replayed): taken once
  // already, it would change nothing newer, so it is not warned about as an attack.
  t.same(readings.open(ahead, now + 4 * 60_000), { redelivered: true }, 'sent again once another was taken: let go, not taken again');
  t.match(readings.open(signCarbonReading(key, topic, { gPerKWh: 182 }, { now: now - 2 * 60_000 }), now), { problem: /more than 1 min ago/ }, 'one signed 2 min ago is too old');
  t.match(readings.open(signCarbonReading(key, topic, { gPerKWh: 182 }, { now: now + 6 * 60_000 }), now), { problem: /6 min ahead/ }, 'one signed 6 min ahead is refused as ahead');
});
