/**
 * `npm run demo`: the main job on the embedded defaults. Starts a real earshotd in a
 * temporary directory (embedded MQTT broker on a free loopback port, the bundled default
 * model, a spool folder), subscribes to its topics as any MQTT client would, drops the
 * bundled sample recordings (examples/) into the spool folder, and prints the transcripts
 * that arrive — text after the plugins, raw model text, energy and carbon — then stops the
 * daemon and shows the retained status turning `offline`.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { packageRoot } from '../daemon/paths.js';
import type { TranscriptPayload } from '../daemon/mqtt/payloads/transcript.js';
import { freePort } from './free-port.js';

const SITE = 'demo';
const SOURCE = 'samples';
const TIMEOUT_MS = 180_000;

async function main(): Promise<number> {
  const examplesDir = join(packageRoot, 'examples');
  const samples = existsSync(examplesDir) ? readdirSync(examplesDir).filter((f) => f.endsWith('.wav')).sort() : [];
  const references = readReferences(join(examplesDir, 'transcripts.tsv'));
  const dir = mkdtempSync(join(tmpdir(), 'earshot-demo-'));
  const spool = join(dir, 'spool');
  mkdirSync(spool, { recursive: true });
  const port = await freePort();
  const config = {
    siteId: SITE,
    dataDir: join(dir, 'data'),
    control: { socket: join(dir, 'control.sock') },
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
    sources: [{ id: SOURCE, type: 'spool', dir: spool, settleMs: 300, pollMs: 200 }],
    scheduler: { tickMs: 200 },
  };
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  say(`config: ${configFile}`);

  const daemon = spawn(process.execPath, [join(packageRoot, 'bin', 'earshotd.js'), '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let daemonLog = '';
  daemon.stdout.on('data', (d: Buffer) => (daemonLog += d.toString()));
  daemon.stderr.on('data', (d: Buffer) => (daemonLog += d.toString()));
  const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
  const fail = (why: string): number => {
    process.stderr.write(`[demo] ${why}\n--- daemon log ---\n${daemonLog.slice(-6000)}\n`);
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
    return 1;
  };
  try {
    await until(() => daemonLog.includes(' ready') || daemon.exitCode !== null, 30_000, 'the daemon to become ready');
  } catch (err) {
    return fail(String(err));
  }
  if (daemon.exitCode !== null) return fail('earshotd exited during start-up');
  say(`earshotd is up (pid ${daemon.pid}); subscribing to earshot/${SITE}/# on mqtt://127.0.0.1:${port}`);

  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'earshot-demo-subscriber', reconnectPeriod: 0 });
  const statuses: string[] = [];
  const transcripts: TranscriptPayload[] = [];
  client.on('message', (topic, payload) => {
    const message = JSON.parse(payload.toString()) as Record<string, unknown>;
    if (topic.endsWith('/status')) {
      statuses.push(String(message.state));
      say(`mqtt ${topic}: state=${String(message.state)}`);
    } else if (topic.includes('/transcript/')) {
      const t = message as unknown as TranscriptPayload;
      transcripts.push(t);
      say(`mqtt ${topic}: "${t.text}"`);
      say(`    raw "${t.rawText}"  [${t.startOffsetSec.toFixed(2)}-${t.endOffsetSec.toFixed(2)} s, rtf ${t.rtf}, ${t.energy.joules.toFixed(2)} J ${t.energy.method}, ${t.carbon.gCO2e.toExponential(2)} gCO2e @ ${t.carbon.intensityGPerKwh} g/kWh, plugins: ${t.plugins.join(', ') || 'none'}]`);
    }
  });
  await client.subscribeAsync(`earshot/${SITE}/#`, { qos: 1 });
  await until(() => statuses.includes('online'), 10_000, 'the retained online status');

  if (samples.length === 0) say('no bundled samples in examples/: nothing to transcribe');
  // One sample at a time, so each transcript is shown beside the recording it came from.
  for (const name of samples) {
    const before = transcripts.length;
    // The spool convention: write NAME.part, rename when complete.
    copyFileSync(join(examplesDir, name), join(spool, `${name}.part`));
    renameSync(join(spool, `${name}.part`), join(spool, name));
    say(`dropped ${name} into the spool folder${references.has(name) ? ` (said: "${references.get(name)}")` : ''}`);
    try {
      await until(() => existsSync(join(spool, 'done', name)) || existsSync(join(spool, 'failed', name)), TIMEOUT_MS, `${name} to be picked up`);
      if (existsSync(join(spool, 'failed', name))) return fail(`${name} failed: ${readFileSync(join(spool, 'failed', `${name}.reason.txt`), 'utf8')}`);
      await until(() => transcripts.length > before, TIMEOUT_MS, `a transcript of ${name}`);
      await settle(() => transcripts.length, 1500);
    } catch (err) {
      return fail(String(err));
    }
  }

  say(`${transcripts.length} transcripts received over MQTT; stopping the daemon (SIGTERM)`);
  daemon.kill('SIGTERM');
  const code = await exited;
  await until(() => statuses.includes('offline'), 5_000, 'the offline status').catch(() => say('(the embedded broker stopped with the daemon before offline was seen)'));
  await client.endAsync(true);
  rmSync(dir, { recursive: true, force: true });
  say(`earshotd exited with ${code}`);
  return code === 0 ? 0 : 1;
}

function readReferences(file: string): Map<string, string> {
  const refs = new Map<string, string>();
  if (!existsSync(file)) return refs;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [id, text] = line.split('\t');
    if (id && text) refs.set(`${id}.wav`, text.trim());
  }
  return refs;
}

function say(line: string): void {
  process.stdout.write(`[demo] ${line}\n`);
}

/** Waits until `value()` has not changed for `quietMs`. */
async function settle(value: () => number, quietMs: number): Promise<void> {
  let last = value();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 100));
    if (value() !== last) {
      last = value();
      since = Date.now();
    }
  }
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

process.exitCode = await main();
