import type { SourceConfig } from '../audio/sources/config.js';
import type { ConfigIssue } from './errors.js';
import type { EarshotConfig } from './types.js';
import { socketPathIssues } from './socket-paths.js';
import { sourceIdIssues } from './source-ids.js';

/**
 * Rules between two settings, which JSON Schema cannot state; run on a config the schema
 * has accepted (every default filled in), so each value has its schema type here.
 */
export function crossFieldIssues(config: Record<string, unknown>): ConfigIssue[] {
  return [...sourceIdIssues(config), ...socketPathIssues(config as unknown as EarshotConfig), ...backoffIssues((config.sources ?? []) as SourceConfig[])];
}

/** A command source's restart delay doubles from initialMs up to maxMs, so maxMs below initialMs has no meaning. */
function backoffIssues(sources: SourceConfig[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  sources.forEach((source, index) => {
    if (source.type !== 'command' || !source.backoff) return;
    const { initialMs, maxMs } = source.backoff;
    if (maxMs < initialMs) {
      issues.push({
        path: `sources[${index}].backoff.maxMs`,
        message: `(${maxMs}) is below initialMs (${initialMs})`,
        hint: 'the restart delay doubles from initialMs up to maxMs; raise maxMs or lower initialMs',
      });
    }
  });
  return issues;
}
