import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import mqtt from 'mqtt';
import { startDaemonOnFreePort, runCli, earshotdBin, cleanEnv } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';

const BAD = { siteId: 12, contorl: { socket: '/tmp/x.sock' }, log: { level: 'loud' } };

function writeBad(): string {
  const file = join(tempDir('bad-'), 'bad.json');
  writeFileSync(file, JSON.stringify(BAD));
  return file;
}

t.test('earshotd refuses a bad config with exit 78 and one path: message line per error', async (t) => {
  const file = writeBad();
  const child = spawn(process.execPath, [earshotdBin, '--config', file], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r)); // 'close': all of stderr read
  t.equal(code, 78);
  t.match(stderr, /^siteId: must be string/m);
  t.match(stderr, /^contorl: unknown key/m);
  t.match(stderr, /^log\.level: must be equal to one of the allowed values/m);
});

t.test('earshot config validate prints the same lines and exits non-zero', async (t) => {
  const file = writeBad();
  const res = await runCli(['config', 'validate', file]);
  t.not(res.code, 0);
  const lines = res.stderr.trim().split('\n');
  t.equal(lines.length, 3, res.stderr);
  t.match(res.stderr, /^siteId: must be string/m);
  const json = await runCli(['config', 'validate', file, '--json']);
  t.not(json.code, 0);
  t.match(JSON.parse(json.stdout), { valid: false, errors: [{ path: 'contorl' }, { path: 'siteId' }, { path: 'log.level' }] });
  const good = join(tempDir(), 'good.json');
  writeFileSync(good, JSON.stringify({ siteId: 'lab-1' }));
  const ok = await runCli(['config', 'validate', good]);
  t.equal(ok.code, 0, ok.stderr);
  const noModel = join(tempDir(), 'no-model.json');
  writeFileSync(noModel, JSON.stringify({ siteId: 'lab-1', model: { dir: join(tempDir(), 'not-a-model') } }));
  const missing = await runCli(['config', 'validate', noModel, '--json']);
  t.equal(missing.code, 78, 'a model.dir with no model fails as earshotd --check does');
  t.match(JSON.parse(missing.stdout), { valid: false, errors: [{ path: 'model.dir', message: /not-a-model: model directory not found/ }] });
});

t.test('a running daemon answers earshot status, publishes retained online, and on SIGTERM exits 0 within 5 s leaving offline', async (t) => {
  const { daemon, port } = await startDaemonOnFreePort((port) => ({ siteId: 'lab-7', mqtt: { url: null, embedded: { host: '127.0.0.1', port } } }));
  // A subscriber that connects after the daemon published still gets the retained status.
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  const states: Array<{ v: number; state: string; siteId: string }> = [];
  subscriber.on('message', (topic, payload) => {
    if (topic === 'earshot/lab-7/status') states.push(JSON.parse(payload.toString()) as { v: number; state: string; siteId: string });
  });
  await subscriber.subscribeAsync('earshot/lab-7/status', { qos: 1 });
  const waitState = async (state: string) => {
    const end = Date.now() + 5000;
    while (!states.some((s) => s.state === state) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  };
  await waitState('online');
  t.match(states[0], { v: 1, state: 'online', siteId: 'lab-7' });

  const res = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(res.code, 0, res.stderr);
  const status = JSON.parse(res.stdout) as { site: string; uptimeSec: number; version: string; components: Array<{ name: string }> };
  t.equal(status.site, 'lab-7');
  t.type(status.uptimeSec, 'number');
  t.ok(status.components.some((c) => c.name === 'control'));
  t.match(status.components.find((c) => c.name === 'mqtt'), { state: 'connected' });
  // --config finds the socket as well as --socket does.
  const viaConfig = await runCli(['status', '--json', '--config', daemon.configFile]);
  t.equal(viaConfig.code, 0, viaConfig.stderr);

  const started = Date.now();
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output());
  t.ok(Date.now() - started < 5000, 'stopped within 5 s');
  await waitState('offline');
  t.ok(states.some((s) => s.state === 'offline'), 'subscriber saw the offline status');
  await subscriber.endAsync(true);
  const after = await runCli(['status', '--socket', daemon.socket]);
  t.not(after.code, 0);
  t.match(after.stderr, /daemon not running/);
});

t.test('a key file the config names that cannot be used is a config error too: exit 78, naming the setting', async (t) => {
  const dir = tempDir('bad-key-');
  const key = join(dir, 'fleet.key');
  writeFileSync(key, 'k'.repeat(48), { mode: 0o644 });
  const cases = [
    { mqtt: { fleet: { enabled: true, keyFile: key } }, stderr: /mqtt\.fleet\.keyFile .*fleet\.key is readable by others \(mode 0644\); run: chmod 600 .*; refusing to start/ },
    { mqtt: { commands: { enabled: true, keyFile: join(dir, 'missing.key') } }, stderr: /mqtt\.commands\.keyFile .*missing\.key: does not exist; create it with/ },
    { mqtt: { embedded: { passwordFile: join(dir, 'missing.passwd') } }, stderr: /mqtt\.embedded\.passwordFile .*missing\.passwd: cannot read it/ },
  ];
  for (const [i, c] of cases.entries()) {
    const file = join(dir, `config-${i}.json`);
    writeFileSync(file, JSON.stringify({ siteId: 'keys', dataDir: join(dir, `data-${i}`), control: { socket: join(dir, `c-${i}.sock`) }, mqtt: { embedded: { port: 0 }, ...c.mqtt, ...(c.mqtt.embedded ? { embedded: { port: 0, ...c.mqtt.embedded } } : {}) } }));
    const child = spawn(process.execPath, [earshotdBin, '--config', file], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r)); // 'close': all of stderr read
    t.equal(code, 78, `case ${i}: exit 78 (EX_CONFIG: systemd does not restart into the same error)`);
    t.match(stderr, c.stderr, `case ${i}: the reason, on stderr`);
  }
});
