import type { ConfigIssue } from './errors.js';

/**
 * Environment overrides: `EARSHOT_<PATH>` where PATH is the config path in UPPER_SNAKE
 * case with `__` between levels, e.g. `EARSHOT_SITE_ID=lab-1`,
 * `EARSHOT_MQTT__EMBEDDED__PORT=1884`, `EARSHOT_LOG__LEVEL=debug`. Values are read as
 * JSON where the schema wants a number, boolean, null, array or object, else as text; for a
 * field that also takes text, a value whose JSON is none of the field's types is the text.
 * Variables the CLI uses to find the daemon are not config paths.
 */
const NOT_CONFIG = new Set(['EARSHOT_CONFIG', 'EARSHOT_SOCKET']);

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
}

export function toEnvSegment(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function envName(path: string[]): string {
  return `EARSHOT_${path.map(toEnvSegment).join('__')}`;
}

export function applyEnvOverrides(
  config: Record<string, unknown>,
  schema: SchemaNode,
  env: NodeJS.ProcessEnv,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('EARSHOT_') || NOT_CONFIG.has(name) || raw === undefined) continue;
    const segments = name.slice('EARSHOT_'.length).split('__');
    let node: SchemaNode | undefined = schema;
    const path: string[] = [];
    for (const seg of segments) {
      const key: string | undefined = Object.keys(node?.properties ?? {}).find((k) => toEnvSegment(k) === seg);
      if (!key || !node?.properties) {
        node = undefined;
        break;
      }
      path.push(key);
      node = node.properties[key];
    }
    if (!node) {
      issues.push({ path: `env ${name}`, message: 'names no configuration key', hint: 'see config.schema.json; levels are joined with "__", e.g. EARSHOT_MQTT__EMBEDDED__PORT' });
      continue;
    }
    const value = parseEnvValue(raw, node);
    if (value instanceof Error) {
      issues.push({ path: `env ${name}`, message: value.message, hint: 'write the value as JSON for numbers, booleans, arrays and objects' });
      continue;
    }
    setPath(config, path, value);
  }
  return issues;
}

function parseEnvValue(raw: string, node: SchemaNode): unknown {
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  const onlyText = types.length > 0 && types.every((t) => t === 'string');
  if (onlyText) return raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch {
    // A bare word for a string-or-null field is text; for a number it is an error ajv will name.
    if (types.includes('string') || types.length === 0) return raw;
    return new Error(`is not valid JSON: ${JSON.stringify(raw)}`);
  }
  // A user name "1234" or a region "13" parses as a number the field does not take; where
  // the field takes text, the variable meant that text.
  if (types.includes('string') && !types.some((t) => jsonTypeFits(parsed, t))) return raw;
  return parsed;
}

/** Whether a parsed JSON value is of the JSON Schema type `type`. */
function jsonTypeFits(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let obj = target;
  for (const key of path.slice(0, -1)) {
    const next = obj[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) obj[key] = {};
    obj = obj[key] as Record<string, unknown>;
  }
  obj[path[path.length - 1]!] = value;
}
