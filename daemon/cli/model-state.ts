import type { Command } from '@oclif/core';
import type { ModelTelemetry } from '../scheduler/model-lifecycle.js';

/** One line for `earshot model load|unload`: state, device, resident size, counters. */
export function printModelState(command: Command, state: ModelTelemetry): void {
  const mb = (state.residentBytes / 1e6).toFixed(1);
  command.log(`model ${state.state} on ${state.device} (${mb} MB resident; ${state.loads} loads, ${state.unloads} unloads${state.lastUnloadReason ? `; last unload: ${state.lastUnloadReason}` : ''})`);
  if (state.loadError !== undefined) command.log(`the last load failed: ${state.loadError}`);
}
