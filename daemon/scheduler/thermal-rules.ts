import { configSchema } from '../config/schema.js';

/**
 * The thermal limits and the rules they keep, in one place for every way they are set: the
 * config file (scheduler.thermal.*, checked by `earshot config validate` and at start),
 * `earshot budget set`, and budget overrides saved against an earlier config. Each caller
 * names the limits its own way (a config key, a CLI flag); the rules and their numbers are
 * these. Throttling starts at softC, batch work pauses at hardC, and both hold until the box
 * is at softC − hysteresisC.
 */
export interface ThermalLimits {
  softC: number;
  hardC: number;
  hysteresisC: number;
}

export type ThermalLimit = keyof ThermalLimits;

/** One broken rule: the limit it is about, what is wrong (without the limit's own name), and how to mend it. */
export interface ThermalProblem {
  limit: ThermalLimit;
  message: string;
  hint: string;
}

/** Where work resumes once throttled or paused. */
export function resumeAtC(t: ThermalLimits): number {
  return t.softC - t.hysteresisC;
}

/** A limit's allowed range: config.schema.json's, so that `budget set` takes what a config file may hold, and no more. */
function rangeOf(limit: ThermalLimit): { min: number; max: number } {
  const props = (configSchema() as SchemaNode).properties?.scheduler?.properties?.thermal?.properties?.[limit];
  if (props?.minimum === undefined || props.maximum === undefined) throw new Error(`config.schema.json: scheduler.thermal.${limit} has no minimum or maximum`);
  return { min: props.minimum, max: props.maximum };
}

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  minimum?: number;
  maximum?: number;
}

/**
 * What is wrong with these limits, if anything; `nameOf` names a limit in a message the way
 * the caller's user writes it (softC, --temp-soft).
 */
export function thermalProblems(t: ThermalLimits, nameOf: (limit: ThermalLimit) => string): ThermalProblem[] {
  const problems: ThermalProblem[] = [];
  const limits: ThermalLimit[] = ['softC', 'hardC', 'hysteresisC'];
  for (const limit of limits) {
    const { min, max } = rangeOf(limit);
    const v = t[limit];
    if (!(Number.isFinite(v) && v >= min && v <= max)) problems.push({ limit, message: `must be between ${min} and ${max} °C, got ${v}`, hint: `a number of degrees Celsius from ${min} to ${max}` });
  }
  // Unordered limits would throttle after pausing, or never resume: said only between values that are numbers.
  if (problems.length > 0) return problems;
  if (t.hardC <= t.softC) {
    problems.push({ limit: 'hardC', message: `(${t.hardC} °C) must be above ${nameOf('softC')} (${t.softC} °C)`, hint: `the box is throttled above ${nameOf('softC')} and batch work pauses above ${nameOf('hardC')}; raise ${nameOf('hardC')} or lower ${nameOf('softC')}` });
  }
  if (t.hysteresisC >= t.softC) {
    problems.push({ limit: 'hysteresisC', message: `(${t.hysteresisC} °C) must be below ${nameOf('softC')} (${t.softC} °C)`, hint: `work resumes once the box is ${nameOf('softC')} − ${nameOf('hysteresisC')}; a few degrees is usual (default 5)` });
  }
  return problems;
}
