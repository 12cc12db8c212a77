/**
 * Defaults that differ by platform. The schema's are Linux's, where systemd makes them
 * (StateDirectory, RuntimeDirectory). On macOS neither can be made: the system volume is
 * read-only and there is no /run. There the daemon and the CLI use these instead, unless
 * the config file or the environment names a path.
 */
export const MACOS_DEFAULTS = {
  dataDir: '/Library/Application Support/Earshot',
  controlSocket: '/var/run/earshot/control.sock',
} as const;

/** What the config named before the schema's defaults were filled in. */
export interface NamedPaths {
  dataDir: boolean;
  controlSocket: boolean;
}

export function namedPaths(config: Record<string, unknown>): NamedPaths {
  const control = config.control;
  return {
    dataDir: config.dataDir !== undefined,
    controlSocket: typeof control === 'object' && control !== null && (control as Record<string, unknown>).socket !== undefined,
  };
}

/** Puts the platform's defaults in place of the schema's where the config named no path. */
export function applyPlatformDefaults(config: Record<string, unknown>, named: NamedPaths, platform: NodeJS.Platform): void {
  if (platform !== 'darwin') return;
  if (!named.dataDir) config.dataDir = MACOS_DEFAULTS.dataDir;
  if (!named.controlSocket) (config.control as Record<string, unknown>).socket = MACOS_DEFAULTS.controlSocket;
}
