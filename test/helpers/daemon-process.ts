import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from './paths.js';
import { freePort } from '../../scripts/free-port.js';

export const earshotdBin = join(repoRoot, 'bin', 'earshotd.js');
export const earshotBin = join(repoRoot, 'bin', 'earshot.js');

export interface RunningDaemon {
  child: ChildProcess;
  dir: string;
  configFile: string;
  socket: string;
  output(): string;
  /**
   * Resolves with the exit code (or signal name) once the process has exited and its stdout
   * and stderr have closed, so that output() then holds everything it printed.
   */
  exited: Promise<number | string>;
}

/**
 * The daemon's own "ready" line (daemon/index.ts, once every service has started and the
 * control socket listens): `INFO  earshot:daemon ready socket=…` (after a `<6>` priority
 * under journald), or its JSON form. Not just any "ready" in the output: debug lines such as
 * "transcript already in the outbox" come earlier.
 */
const READY_LINE = /^(?:<\d>)?INFO +earshot:daemon ready(?: |$)|"ns":"earshot:daemon","msg":"ready"/m;

/** Whether a daemon's output so far has its ready line. */
export function isReady(output: string): boolean {
  return READY_LINE.test(output);
}

/** Writes a config into a fresh temp dir (sockets and data inside it) and starts a real earshotd; resolves once it is ready. */
export async function startDaemon(config: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): Promise<RunningDaemon> {
  const daemon = launchDaemon(config, env);
  await waitFor(() => daemon.child.exitCode !== null || daemon.child.signalCode !== null || isReady(daemon.output()), 20_000, 'earshotd to be ready');
  if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
    const how = await daemon.exited;
    throw new Error(`earshotd exited early (${how}):\n${daemon.output()}`);
  }
  return daemon;
}

/**
 * As startDaemon, with the embedded MQTT broker on a free loopback port that `config` puts
 * in the config. freePort only finds a port free a moment before the daemon binds it, seconds
 * later: should someone else have taken it meanwhile (the daemon exits, EADDRINUSE), the
 * daemon is started again on another free port, up to three times.
 */
export async function startDaemonOnFreePort(config: (port: number) => Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<{ daemon: RunningDaemon; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { daemon: await startDaemon(config(port), env), port };
    } catch (err) {
      if (attempt >= 3 || !/embedded MQTT broker cannot listen on .*EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

/** Starts earshotd again on a daemon's config and data (what systemd does after a crash); resolves once it is ready. */
export async function restartDaemon(d: RunningDaemon): Promise<RunningDaemon> {
  const again = { ...d, ...spawnDaemon(d.configFile) };
  await waitFor(() => isReady(again.output()) || again.child.exitCode !== null || again.child.signalCode !== null, 20_000, 'the restarted daemon');
  if (again.child.exitCode !== null || again.child.signalCode !== null) throw new Error(`earshotd exited at restart (${await again.exited}):\n${again.output()}`);
  return again;
}

/** As startDaemon, without waiting for it to be ready. */
export function launchDaemon(config: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): RunningDaemon {
  const dir = tempDir('earshotd-');
  const socket = join(dir, 'control.sock');
  const configFile = join(dir, 'config.json');
  const full = {
    siteId: 'test-site',
    dataDir: join(dir, 'data'),
    control: { socket },
    mqtt: { embedded: { port: 0 } },
    ...config,
  };
  writeFileSync(configFile, JSON.stringify(full, null, 2));
  return { dir, configFile, socket, ...spawnDaemon(configFile, env) };
}

/** earshotd on `configFile` at debug level, its stdout and stderr gathered into one output. */
function spawnDaemon(configFile: string, env: NodeJS.ProcessEnv = {}): Pick<RunningDaemon, 'child' | 'output' | 'exited'> {
  const fullEnv = { ...cleanEnv(), ...env };
  const [command, ...args] = withoutTapHooks([process.execPath, earshotdBin, '--config', configFile, '--log-level', 'debug'], fullEnv);
  const child = spawn(command!, args, {
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': 'exit' can come while the last of the output is still in the pipes.
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => out, exited };
}

/**
 * Launches a daemon that should refuse to start; resolves, once it has exited (killed if it
 * became ready after all), with whether it was ever ready, its exit code and its output.
 */
export async function launchRefused(config: Record<string, unknown>): Promise<{ ready: boolean; code: number | string; output: string }> {
  const daemon = launchDaemon(config);
  try {
    await waitFor(() => daemon.child.exitCode !== null || isReady(daemon.output()), 20_000, 'earshotd to exit or be ready');
  } finally {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  }
  const ready = isReady(daemon.output());
  return { ready, code: await daemon.exited, output: daemon.output() };
}

/** The environment without anything that would point the daemon or CLI elsewhere. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('EARSHOT_') && k !== 'NOTIFY_SOCKET' && k !== 'WATCHDOG_USEC') env[k] = v;
  return env;
}

/**
 * `argv` (node and a script) run as a deployment runs it, without the hooks tap loads into
 * every node process a test spawns. Tap's process-info hook is put into NODE_OPTIONS at each
 * spawn, whatever env the spawn is given; it hooks every module load and turns source maps on,
 * about 0.7 s of CPU for each daemon and CLI run (thousands in a suite run) that no test needs
 * (coverage is off). `env` takes it out just before node starts, in the same process, and
 * puts back the NODE_OPTIONS of `spawnEnv` (the env the spawn is given: a test's preload).
 */
export function withoutTapHooks(argv: string[], spawnEnv: NodeJS.ProcessEnv): string[] {
  const own = (spawnEnv['NODE_OPTIONS'] ?? '').split(/\s+/).filter((o) => o !== '' && !o.includes('@tapjs/'));
  return ['env', '-u', 'NODE_OPTIONS', ...(own.length > 0 ? [`NODE_OPTIONS=${own.join(' ')}`] : []), ...argv];
}

export async function waitFor(check: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Another user and group to run as (setpriv, util-linux; the tests run as root). */
export interface RunAs {
  user: string;
  group: string;
}

/** Runs the real `earshot` CLI binary (or a copy of it, `bin`), as this process's user or as `as`. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, as?: RunAs, bin = earshotBin): Promise<CliResult> {
  return startCli(args, env, as, bin).result;
}

/** A CLI run still going: what it has printed so far, and its result once it ends. */
export interface RunningCli {
  stdout(): string;
  stderr(): string;
  result: Promise<CliResult>;
}

/** Starts the real `earshot` CLI as runCli does, for a test that acts on what it prints before it ends. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, as?: RunAs, bin = earshotBin): RunningCli {
  const fullEnv = { ...cleanEnv(), ...env };
  const command = withoutTapHooks([process.execPath, bin, ...args], fullEnv);
  const argv = as ? ['setpriv', '--reuid', as.user, '--regid', as.group, '--clear-groups', ...command] : command;
  const child = spawn(argv[0]!, argv.slice(1), { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': only then has all of stdout and stderr been read.
  const result = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  return { stdout: () => stdout, stderr: () => stderr, result };
}
