import t from 'tap';
import { loadConfig } from '../../daemon/config/load.js';
import { configSchema } from '../../daemon/config/schema.js';
import { commandSourceConfig, configIssues } from '../helpers/config-issues.js';

/**
 * Node's timers take a signed 32-bit delay: anything above 2147483647 ms fires after 1 ms
 * (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args), so a duration without
 * a ceiling turns a timeout into "fail at once" and an interval into a flood.
 */
const LONGEST_TIMER_MS = 2_147_483_647;

/** Milliseconds per unit, by the suffix a duration setting's name ends with. */
const UNIT_MS: Record<string, number> = { Ms: 1, Sec: 1000, Minutes: 60_000, Hours: 3_600_000, Days: 86_400_000 };
const UNIT = /(Ms|Sec|Minutes|Hours|Days)$/;
/** Names that say "duration" without saying its unit; a new one must be named with a unit. */
const UNITLESS_DURATION = /(Seconds|Secs|Mins|Timeout|Interval|Delay|Period|Ttl)$/;

/** Durations only ever compared with a clock (ages, deadlines), never handed to a timer. */
const COMPARED_NOT_TIMED = new Set(['mqtt.outbox.maxAgeHours', 'mqtt.embedded.sessionExpiryHours', 'scheduler.batch.defaultDeadlineHours', 'scheduler.retention.doneDays', 'scheduler.retention.failedDays']);

interface Field {
  path: string;
  key: string;
  node: Record<string, unknown>;
}

/** Every property in the schema, through arrays and the if/then branches of sources[]. */
function fields(node: unknown, path = ''): Field[] {
  if (typeof node !== 'object' || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((n) => fields(n, path));
  const n = node as Record<string, unknown>;
  const found: Field[] = [];
  for (const [key, child] of Object.entries((n.properties ?? {}) as Record<string, Record<string, unknown>>)) {
    const here = path ? `${path}.${key}` : key;
    found.push({ path: here, key, node: child }, ...fields(child, here));
  }
  if (n.items) found.push(...fields(n.items, `${path}[]`));
  for (const branch of ['allOf', 'anyOf', 'oneOf', 'if', 'then', 'else']) found.push(...fields(n[branch], path));
  return found;
}

t.test('every duration setting has a maximum that a Node timer can hold', async (t) => {
  const all = fields(configSchema());
  const durations = all.filter((f) => UNIT.test(f.key) && (f.node.type === 'integer' || f.node.type === 'number'));
  t.ok(durations.length >= 25, `found ${durations.length} duration settings`);
  t.ok(durations.some((f) => f.path === 'sources[].backoff.maxMs'), 'settings inside sources[] branches are walked');
  const problems: string[] = [];
  for (const { path, key, node } of durations) {
    const max = node.maximum;
    if (typeof max !== 'number') {
      problems.push(`${path} has no maximum`);
      continue;
    }
    const maxMs = max * UNIT_MS[UNIT.exec(key)![1]!]!;
    if (maxMs > LONGEST_TIMER_MS && !COMPARED_NOT_TIMED.has(path)) problems.push(`${path}: maximum ${max} is ${maxMs} ms, above ${LONGEST_TIMER_MS}`);
  }
  for (const { path, key } of all) if (UNITLESS_DURATION.test(key)) problems.push(`${path}: name the unit (…Ms, …Sec, …Minutes, …Hours, …Days)`);
  t.same(problems, []);
});

t.test('durations that would overflow a timer are refused, naming the setting', async (t) => {
  const source = (backoff: Record<string, number>) => commandSourceConfig({ backoff });
  const cases: Array<[unknown, string]> = [
    [{ control: { requestTimeoutMs: 3_000_000_000 } }, 'control.requestTimeoutMs'],
    [{ mqtt: { telemetryIntervalSec: 2_592_000 } }, 'mqtt.telemetryIntervalSec'],
    [{ mqtt: { connectTimeoutMs: 3_000_000_000 } }, 'mqtt.connectTimeoutMs'],
    [source({ maxMs: 3_000_000_000 }), 'sources[0].backoff.maxMs'],
    [source({ initialMs: 3_000_000_000, maxMs: 3_000_000_000 }), 'sources[0].backoff.initialMs'],
  ];
  for (const [raw, path] of cases) {
    const lines = configIssues(raw);
    t.ok(
      lines.some((l) => l.startsWith(`${path}: must be <=`)),
      `${path} is refused: ${lines.join(' / ')}`,
    );
  }
  t.doesNotThrow(() => loadConfig({ env: { EARSHOT_MQTT__TELEMETRY_INTERVAL_SEC: '86400', EARSHOT_CONTROL__REQUEST_TIMEOUT_MS: '3600000' } }), 'the ceilings themselves are allowed');
});
