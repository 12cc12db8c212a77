/**
 * `@earshot/sdk` — the public plugin API of Earshot. A plugin imports only from here (and
 * from `@earshot/sdk/testing` in its tests); it never reaches into daemon internals.
 * @packageDocumentation
 */
export { API_VERSION } from './version.js';
export { definePlugin, isPluginDefinition } from './define.js';
export type { PluginDefinition, PluginInstance, PluginSpec } from './define.js';
export type {
  PluginContext,
  PluginLogger,
  KeyValueStore,
  JsonValue,
  LogFields,
  ScheduleSpec,
  Disposable,
} from './context.js';
export type { Hotword, HotwordProvider } from './hotwords.js';
export type { TextNormalizer, TranscriptFilter } from './text-plugins.js';
export type { TimedWord, SegmentInfo, TranscriptInput, TranscriptOutput } from './transcript.js';
export { splitTokens, realignWords, applyWordEdits, joinTokens, applyTextEdits } from './align.js';
export type { WordEdit, TextSpanEdit } from './align.js';
