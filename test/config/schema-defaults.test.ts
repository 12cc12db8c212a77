import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { schemaDefaults } from '../../daemon/config/defaults.js';
import { resolveSegmenterSettings, SENSITIVITY_THRESHOLDS, type Sensitivity } from '../../daemon/vad/sensitivity.js';
import { defaultSessionSettings } from '../../daemon/asr/session.js';

/** Defaults live only in config.schema.json: callers without a config get exactly those. */
const schema = JSON.parse(readFileSync(join(repoRoot, 'config.schema.json'), 'utf8')) as {
  properties: Record<string, { properties: Record<string, { default?: unknown }> }>;
};
const schemaDefault = (section: string, key: string): unknown => schema.properties[section]!.properties[key]!.default;

t.test('VAD settings without a config are the schema defaults', async (t) => {
  const s = resolveSegmenterSettings();
  for (const key of ['minSpeechMs', 'minSilenceMs', 'padMs', 'maxSegmentSec'] as const) t.equal(s[key], schemaDefault('vad', key), key);
  t.equal(s.threshold, SENSITIVITY_THRESHOLDS[schemaDefault('vad', 'sensitivity') as Sensitivity], 'threshold from the default sensitivity');
  t.equal(resolveSegmenterSettings({ padMs: 7 }).padMs, 7, 'a given value wins');
  t.equal(resolveSegmenterSettings({ sensitivity: 'high' }).threshold, SENSITIVITY_THRESHOLDS.high);
});

t.test('ASR session settings without a config are the schema defaults', async (t) => {
  const s = defaultSessionSettings();
  t.same(s.providers, schemaDefault('model', 'providers'));
  t.equal(s.threads, schemaDefault('model', 'threads'));
  t.equal(s.graphOptimization, schemaDefault('model', 'graphOptimization'));
});

t.test('schemaDefaults hands out copies', async (t) => {
  const a = schemaDefaults();
  (a['vad'] as { padMs: number }).padMs = 999;
  t.not((schemaDefaults()['vad'] as { padMs: number }).padMs, 999, 'a caller changing its copy does not change the next');
});
