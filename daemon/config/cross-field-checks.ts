import { floorBackoff } from '../audio/sources/backoff.js';
import type { SourceConfig } from '../audio/sources/config.js';
import type { ConfigIssue } from './errors.js';
import type { EarshotConfig } from './types.js';
import { socketPathIssues } from './socket-paths.js';
import { sourceIdIssues } from './source-ids.js';
import { hermesSourceIssues } from './hermes-sources.js';
import { schedulerIssues } from './scheduler-limits.js';
import { schedulerSection } from '../scheduler/config.js';

/**
 * Rules between two settings, which JSON Schema cannot state; run on a config the schema
 * has accepted (every default filled in), so each value has its schema type here.
 */
export function crossFieldIssues(config: Record<string, unknown>): ConfigIssue[] {
  const typed = config as unknown as EarshotConfig;
  const sources = (typed.sources ?? []) as SourceConfig[];
  return [...sourceIdIssues(sources), ...socketPathIssues(typed.control.socket, sources), ...backoffIssues(sources), ...reconnectIssues(typed), ...hermesSourceIssues(typed.mqtt.hermes.sources, sources), ...schedulerIssues(schedulerSection(typed))];
}

/** The same rule for the broker connection: the delay doubles from minDelayMs up to maxDelayMs. */
function reconnectIssues(config: EarshotConfig): ConfigIssue[] {
  const { minDelayMs, maxDelayMs } = config.mqtt.reconnect;
  if (maxDelayMs >= minDelayMs) return [];
  return [{ path: 'mqtt.reconnect.maxDelayMs', message: `(${maxDelayMs}) is below minDelayMs (${minDelayMs})`, hint: 'the reconnect delay doubles from minDelayMs up to maxDelayMs; raise maxDelayMs or lower minDelayMs' }];
}

/**
 * A command source's restart delay doubles from initialMs up to maxMs, so maxMs below initialMs
 * has no meaning. Compared as the source runs them, raised to the floors: {initialMs: 100,
 * maxMs: 400} runs as 250 and 1000 and is fine.
 */
function backoffIssues(sources: SourceConfig[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  sources.forEach((source, index) => {
    if (source.type !== 'command' || !source.backoff) return;
    const { initialMs, maxMs } = source.backoff;
    const used = floorBackoff(source.backoff).backoff;
    // Refused only when the floors leave it so; then the configured maxMs is below initialMs too.
    if (used.maxMs < used.initialMs) {
      issues.push({
        path: `sources[${index}].backoff.maxMs`,
        message: `(${maxMs}) is below initialMs (${initialMs})`,
        hint: 'the restart delay doubles from initialMs up to maxMs; raise maxMs or lower initialMs',
      });
    }
  });
  return issues;
}
