import { existsSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { loadConfig } from '../config/load.js';
import { callDaemonUntyped } from '../control/client.js';
import { requestRemoteDaemon } from '../mqtt/commands/remote-target.js';

/** The default config path of an installed box (systemd ConfigurationDirectory). */
export const DEFAULT_CONFIG_FILE = '/etc/earshot/config.json';

/**
 * Flags every command that talks to the daemon takes. EARSHOT_CONFIG and EARSHOT_SOCKET are
 * read in configFileOf/resolveSocket, not by oclif: a flag filled from the environment cannot
 * be told from one typed, and a typed --config must beat an exported EARSHOT_SOCKET.
 */
export const daemonFlags = {
  config: Flags.string({ char: 'c', description: `config file of the daemon, to find its socket (default: $EARSHOT_CONFIG, else ${DEFAULT_CONFIG_FILE} when present)` }),
  socket: Flags.string({ description: 'control socket path (wins over --config; default: $EARSHOT_SOCKET, else the config\'s control.socket)' }),
  site: Flags.string({ description: 'act on a remote site over MQTT (signed cmd/<verb>) instead of the local socket', helpGroup: 'REMOTE' }),
  broker: Flags.string({ description: 'broker URL for --site (default: mqtt.url of the config)', helpGroup: 'REMOTE', dependsOn: ['site'] }),
  'key-file': Flags.string({ description: 'shared HMAC key file for --site (default: mqtt.commands.keyFile of the config)', helpGroup: 'REMOTE', dependsOn: ['site'] }),
};

export interface DaemonTarget {
  config?: string | undefined;
  socket?: string | undefined;
  site?: string | undefined;
  broker?: string | undefined;
  'key-file'?: string | undefined;
}

/** The config file the CLI reads: --config, else $EARSHOT_CONFIG, else /etc/earshot/config.json when present (none: schema defaults). */
export function configFileOf(target: { config?: string | undefined }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return target.config ?? (env.EARSHOT_CONFIG || undefined) ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
}

/**
 * The control socket: what is typed beats the environment, and a socket beats a config:
 * --socket, --config's control.socket, $EARSHOT_SOCKET, then the control.socket of
 * $EARSHOT_CONFIG or /etc/earshot/config.json (else the schema default).
 */
export function resolveSocket(target: DaemonTarget, env: NodeJS.ProcessEnv = process.env): string {
  if (target.socket) return target.socket;
  if (!target.config && env.EARSHOT_SOCKET) return env.EARSHOT_SOCKET;
  return loadConfig({ file: configFileOf(target, env), env }).control.socket;
}

/**
 * One request to the daemon: the local one through its socket, or with --site a remote one
 * through the broker as a signed command. Throws DaemonRequestError (with a hint) or ConfigError.
 */
export function requestDaemon(method: string, params: unknown, target: DaemonTarget, timeoutMs?: number): Promise<unknown> {
  if (target.site) return requestRemote(method, params, target, timeoutMs);
  return callDaemonUntyped(method, params, timeoutMs === undefined ? { socket: resolveSocket(target) } : { socket: resolveSocket(target), timeoutMs });
}

function requestRemote(method: string, params: unknown, target: DaemonTarget, timeoutMs?: number): Promise<unknown> {
  const configFile = configFileOf(target);
  const keyFile = target['key-file'] ?? loadConfig({ file: configFile, env: process.env }).mqtt.commands.keyFile;
  if (!keyFile) throw new Error('--site needs the shared command key: pass --key-file FILE or set mqtt.commands.keyFile in the config');
  return requestRemoteDaemon(method, (params ?? {}) as Record<string, unknown>, {
    site: target.site!,
    broker: target.broker,
    keyFile,
    ...(configFile ? { configFile } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
}
