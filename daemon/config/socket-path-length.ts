import type { SourceConfig } from '../audio/sources/config.js';
import type { ConfigIssue } from './errors.js';
import type { EarshotConfig } from './types.js';

/**
 * The longest unix socket path bind(2) takes, in bytes: sun_path holds 108 bytes on Linux
 * and 104 on macOS and the BSDs, the last one the terminating NUL (unix(7)). Node does not
 * refuse a longer path: libuv cuts it short and listens on the truncated one, a stray
 * socket elsewhere that no client finds.
 */
export function maxSocketPathBytes(platform: NodeJS.Platform): number {
  return platform === 'linux' || platform === 'android' ? 107 : 103;
}

/**
 * Every unix socket path the config names (the control socket, socket sources) that is
 * too long to listen on. Counted in bytes of UTF-8 as given: a relative path is bound as
 * it is, relative to the daemon's working directory.
 */
export function socketPathLengthIssues(config: EarshotConfig, platform: NodeJS.Platform): ConfigIssue[] {
  const named: Array<{ setting: string; path: string; shorter: string }> = [{ setting: 'control.socket', path: config.control.socket, shorter: '/run/earshot/control.sock' }];
  ((config.sources ?? []) as SourceConfig[]).forEach((source, i) => {
    if (source.type === 'socket' && source.path !== undefined) named.push({ setting: `sources[${i}].path`, path: source.path, shorter: `/run/earshot/${source.id}.sock` });
  });
  const limit = maxSocketPathBytes(platform);
  return named
    .filter(({ path }) => Buffer.byteLength(path, 'utf8') > limit)
    .map(({ setting, path, shorter }) => ({
      path: setting,
      message: `is ${Buffer.byteLength(path, 'utf8')} bytes long (${path}); a unix socket path may have at most ${limit} bytes`,
      hint: `pick a shorter path, such as ${shorter}`,
    }));
}
