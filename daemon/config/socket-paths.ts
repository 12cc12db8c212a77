import { resolve } from 'node:path';
import type { SourceConfig } from '../audio/sources/config.js';
import type { ConfigIssue } from './errors.js';

/**
 * Checks across fields that the schema cannot express: two listeners on one unix socket
 * path. The second would find the first's socket alive (or delete it as stale), so the
 * daemon would fail at start with an error that names neither setting.
 */
export function socketPathIssues(controlSocket: string, sources: SourceConfig[]): ConfigIssue[] {
  const claimed = new Map<string, string>([[resolve(controlSocket), 'control.socket']]);
  const issues: ConfigIssue[] = [];
  sources.forEach((source, i) => {
    if (source.type !== 'socket' || source.path === undefined) return;
    const { path } = source;
    const setting = `sources[${i}].path`;
    const key = resolve(path);
    const other = claimed.get(key);
    if (other === undefined) {
      claimed.set(key, setting);
      return;
    }
    issues.push({
      path: setting,
      message: `is the same socket as ${other} (${path}); two listeners cannot share one socket path`,
      hint: `give ${setting} a path of its own, such as /run/earshot/${source.id}.sock`,
    });
  });
  return issues;
}
