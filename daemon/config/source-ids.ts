import type { SourceConfig } from '../audio/sources/config.js';
import type { ConfigIssue } from './errors.js';

/**
 * Each source needs an id of its own: transcripts, jobs, topics and `earshot status` are
 * named by it. The schema cannot say "unique by id", and found only at start this stopped
 * the daemon with an error `earshotd --check` had passed.
 */
export function sourceIdIssues(sources: SourceConfig[]): ConfigIssue[] {
  const firstUse = new Map<string, number>();
  const issues: ConfigIssue[] = [];
  sources.forEach(({ id }, i) => {
    const first = firstUse.get(id);
    if (first === undefined) {
      firstUse.set(id, i);
      return;
    }
    issues.push({ path: `sources[${i}].id`, message: `"${id}" is also the id of sources[${first}]`, hint: 'give every source an id of its own' });
  });
  return issues;
}
