import { resolve } from 'node:path';
import type { ConfigIssue } from './errors.js';

/**
 * Checks across fields that the schema cannot express: two listeners on one unix socket
 * path. The second would find the first's socket alive (or delete it as stale), so the
 * daemon would fail at start with an error that names neither setting.
 */
export function socketPathIssues(config: { control: { socket: string }; sources?: unknown }): ConfigIssue[] {
  const claimed = new Map<string, string>([[resolve(config.control.socket), 'control.socket']]);
  const issues: ConfigIssue[] = [];
  const sources = Array.isArray(config.sources) ? (config.sources as unknown[]) : [];
  sources.forEach((source, i) => {
    const path = unixSocketPathOf(source);
    if (path === undefined) return;
    const setting = `sources[${i}].path`;
    const other = claimed.get(resolve(path));
    if (other === undefined) {
      claimed.set(resolve(path), setting);
      return;
    }
    issues.push({
      path: setting,
      message: `is the same socket as ${other} (${path}); two listeners cannot share one socket path`,
      hint: `give ${setting} a path of its own, such as /run/earshot/${idOf(source) ?? 'source'}.sock`,
    });
  });
  return issues;
}

function unixSocketPathOf(source: unknown): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const { type, path } = source as { type?: unknown; path?: unknown };
  return type === 'socket' && typeof path === 'string' ? path : undefined;
}

function idOf(source: unknown): string | undefined {
  const id = (source as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}
