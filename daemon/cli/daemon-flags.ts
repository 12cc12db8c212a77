import { existsSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { loadConfig } from '../config/load.js';
import { callDaemonUntyped } from '../control/client.js';

/** The default config path of an installed box (systemd ConfigurationDirectory). */
export const DEFAULT_CONFIG_FILE = '/etc/earshot/config.json';

/** Flags every command that talks to the daemon takes. */
export const daemonFlags = {
  config: Flags.string({ char: 'c', description: 'config file of the daemon (to find its socket)', env: 'EARSHOT_CONFIG' }),
  socket: Flags.string({ description: 'control socket path (wins over --config)', env: 'EARSHOT_SOCKET' }),
};

export interface DaemonTarget {
  config?: string | undefined;
  socket?: string | undefined;
}

/** --socket, else the config's control.socket (from --config, or /etc/earshot/config.json when present, else the schema default). */
export function resolveSocket(target: DaemonTarget): string {
  if (target.socket) return target.socket;
  const file = target.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  return loadConfig({ file, env: process.env }).control.socket;
}

/** One request to the running daemon; throws DaemonRequestError (with a hint) or ConfigError. */
export function requestDaemon(method: string, params: unknown, target: DaemonTarget, timeoutMs?: number): Promise<unknown> {
  return callDaemonUntyped(method, params, timeoutMs === undefined ? { socket: resolveSocket(target) } : { socket: resolveSocket(target), timeoutMs });
}
