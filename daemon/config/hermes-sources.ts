import type { SourceConfig } from '../audio/sources/config.js';
import type { ConfigIssue } from './errors.js';

/**
 * `mqtt.hermes.sources` names the live sources that are a Rhasspy site's microphone. An id no
 * source has (a typo, a source renamed since) would leave every listening session unanswered
 * without a word; a spool folder's recordings never answer one.
 */
export function hermesSourceIssues(hermesSources: readonly string[], sources: readonly SourceConfig[]): ConfigIssue[] {
  const live = sources.filter((s) => s.type !== 'spool').map((s) => s.id);
  const hint = live.length > 0 ? `the live sources are ${live.map((id) => JSON.stringify(id)).join(', ')}` : 'no live source (command or socket) is configured';
  return hermesSources.flatMap((id, i): ConfigIssue[] => {
    const source = sources.find((s) => s.id === id);
    if (source === undefined) return [{ path: `mqtt.hermes.sources[${i}]`, message: `no source has the id "${id}"`, hint }];
    if (source.type === 'spool') return [{ path: `mqtt.hermes.sources[${i}]`, message: `"${id}" is a spool folder: its recordings never answer a listening session`, hint }];
    return [];
  });
}
