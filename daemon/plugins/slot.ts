import type { Hotword, PluginInstance } from '@earshot/sdk';
import type { CallOutcome } from './guarded-call.js';
import type { IsolatedPlugin } from './isolated-plugin.js';
import type { PluginManifest } from './manifest.js';
import type { OpenContext } from './plugin-context.js';
import type { PluginKind, PluginSource, PluginState, PluginStatus } from './types.js';

/** One discovered plugin and everything the host keeps about it. */
export interface Slot {
  name: string;
  alias: string;
  source: PluginSource;
  dir: string;
  /** Absent when the package was refused at discovery. */
  manifest?: PluginManifest;
  /** A refused package's version, when its package.json gives one (else the manifest's). */
  version?: string;
  state: PluginState;
  error?: string;
  /** The kinds of its last instance; kept while it is failed so `skipped` can name it. */
  kinds: PluginKind[];
  languages?: string[];
  calls: number;
  failures: number;
  consecutiveFailures: number;
  /** Failed calls on live partials (not counted in `failures`). */
  partialFailures: number;
  /** The one line its definition gives, once it was created. */
  description?: string;
  /** Present while it runs. */
  instance?: PluginInstance;
  /** Its context, when it runs in the daemon's thread. */
  open?: OpenContext;
  /** Its worker thread, when it runs isolated. */
  worker?: IsolatedPlugin;
  /** The start, enable, disable or set-aside in progress; the next one waits for it. */
  changing?: Promise<void>;
  config?: Record<string, unknown>;
  /** Its latest checked hotword list; empty unless it runs. */
  hotwords: Hotword[];
}

/** A per-plugin config map entry, by full name first, then by alias. */
export function lookup<T>(map: Record<string, T>, slot: { name: string; alias: string }): T | undefined {
  return Object.hasOwn(map, slot.name) ? map[slot.name] : Object.hasOwn(map, slot.alias) ? map[slot.alias] : undefined;
}

/**
 * Every plugin a name may mean: the one with that full name, else all whose short name it
 * is. Two packages from different scopes (`@earshot/plugin-redact`, `@acme/plugin-redact`)
 * share the alias `redact`.
 */
export function slotsNamed<S extends { name: string; alias: string }>(slots: readonly S[], query: string): S[] {
  const byName = slots.filter((s) => s.name === query);
  return byName.length > 0 ? byName : slots.filter((s) => s.alias === query);
}

/** What `earshot plugins list` shows of a slot. */
export function slotStatus(s: Slot): PluginStatus {
  const out: PluginStatus = {
    name: s.name,
    alias: s.alias,
    version: s.manifest?.version ?? s.version ?? '',
    description: s.description ?? s.manifest?.description ?? '',
    source: s.source,
    path: s.dir,
    state: s.state,
    kinds: [...s.kinds],
    calls: s.calls,
    failures: s.failures,
    consecutiveFailures: s.consecutiveFailures,
    partialFailures: s.partialFailures,
  };
  if (s.languages) out.languages = [...s.languages];
  if (s.error !== undefined) out.error = s.error;
  if (s.instance) out.isolation = s.worker ? 'thread' : 'inline';
  return out;
}

/** What else is known of a failed call. */
export interface FailureDetail {
  /** The call had not returned at its limit, and what it was ("a normalizer call"). */
  timedOutIn?: string | undefined;
  /** Where in the plugin's files the error it threw or rejected with was made (CallOutcome.at). */
  at?: string | undefined;
}

/** How pipeline and hotword code report a call's outcome back to the host. */
export interface OutcomeSink {
  recordSuccess(slot: Slot): void;
  recordFailure(slot: Slot, reason: string, detail?: FailureDetail): void;
}

/** The detail of a failed call's outcome; `call` names it for a time-out ("a normalizer call"). */
export function failureDetail(outcome: CallOutcome<unknown>, call: string): FailureDetail {
  return outcome.ok ? {} : { timedOutIn: outcome.timedOut ? call : undefined, at: outcome.at };
}
