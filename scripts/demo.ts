/**
 * `npm run demo`: the main job on the embedded defaults. Starts a real earshotd in a
 * temporary directory (embedded MQTT broker on a free loopback port), subscribes to its
 * topics like any MQTT client would, prints what arrives, then stops the daemon and shows
 * the retained status turning `offline`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { packageRoot } from '../daemon/paths.js';
import { freePort } from './free-port.js';

const SITE = 'demo';

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-demo-'));
  const port = await freePort();
  const config = {
    siteId: SITE,
    dataDir: join(dir, 'data'),
    control: { socket: join(dir, 'control.sock') },
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
  };
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  say(`config: ${configFile}`);

  const daemon = spawn(process.execPath, [join(packageRoot, 'bin', 'earshotd.js'), '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let daemonLog = '';
  daemon.stdout.on('data', (d: Buffer) => (daemonLog += d.toString()));
  daemon.stderr.on('data', (d: Buffer) => (daemonLog += d.toString()));
  const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
  await until(() => daemonLog.includes('ready') || daemon.exitCode !== null, 30_000, 'the daemon to become ready');
  if (daemon.exitCode !== null) {
    process.stderr.write(daemonLog);
    return 1;
  }
  say(`earshotd is up (pid ${daemon.pid}); subscribing to earshot/${SITE}/# on mqtt://127.0.0.1:${port}`);

  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'earshot-demo-subscriber', reconnectPeriod: 0 });
  const statuses: string[] = [];
  client.on('message', (topic, payload) => {
    const text = payload.toString();
    if (topic.endsWith('/status')) statuses.push((JSON.parse(text) as { state: string }).state);
    say(`mqtt ${topic}: ${text}`);
  });
  await client.subscribeAsync(`earshot/${SITE}/#`, { qos: 1 });
  await until(() => statuses.includes('online'), 10_000, 'the retained online status');

  say('stopping the daemon (SIGTERM)');
  daemon.kill('SIGTERM');
  const code = await exited;
  await until(() => statuses.includes('offline'), 5_000, 'the offline status').catch(() => say('(broker stopped with the daemon before offline was seen)'));
  await client.endAsync(true);
  rmSync(dir, { recursive: true, force: true });
  say(`earshotd exited with ${code}`);
  return code === 0 ? 0 : 1;
}

function say(line: string): void {
  process.stdout.write(`[demo] ${line}\n`);
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

process.exitCode = await main();
