import type { ErrorObject } from 'ajv';
import { errorChain } from '../error-chain.js';

/** One problem in a configuration: where it is, what is wrong, how to fix it. */
export interface ConfigIssue {
  path: string;
  message: string;
  hint?: string;
}

/** Thrown when a configuration cannot be used; the daemon prints `lines()` and exits 78. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`invalid configuration in ${source}:\n${issues.map(formatIssue).join('\n')}`);
    this.name = 'ConfigError';
  }

  lines(): string[] {
    return this.issues.map(formatIssue);
  }
}

/**
 * A file the config names (a key, a certificate, a password file) that cannot be used as it
 * is: found only when the daemon starts, but a config problem all the same, so the daemon
 * exits 78 and systemd does not restart it into the same error every few seconds.
 */
export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

/** The ConfigFileError behind `err` (itself, or in its chain of causes), if any. */
export function configFileErrorIn(err: unknown): ConfigFileError | undefined {
  for (const e of errorChain(err, 8)) {
    if (!(e instanceof Error)) return undefined;
    if (e instanceof ConfigFileError) return e;
  }
  return undefined;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path}: ${issue.message}${issue.hint ? ` (hint: ${issue.hint})` : ''}`;
}

/**
 * `/mqtt/embedded/port` → `mqtt.embedded.port`; array items as `sources[2]`; a key that is
 * not a plain name as `["mqtt.url"]`, so that a flat dotted key is not mistaken for the
 * nested one, and a key with a colon, a line break or an invisible character cannot blur
 * where the path ends or add a line to the error.
 */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : childPath(acc, seg)), '');
}

/** `parent` (a path as pointerToPath writes it, or '' / '(root)' for the top) and one key under it. */
export function childPath(parent: string, key: string): string {
  const top = parent === '' || parent === '(root)';
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${top ? '' : parent}[${quoteKey(key)}]`;
  return top ? key : `${parent}.${key}`;
}

/** A path under `prefix` (a plugin's config under `plugins.x.config`, say). */
export function pathUnder(prefix: string, path: string): string {
  if (path === '(root)') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** JSON's quoting, and also escapes for what JSON leaves as it is but a reader cannot see (U+200B, U+00A0, U+2028). */
function quoteKey(key: string): string {
  const escape = (c: string) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
  return JSON.stringify(key).replace(/[^\P{C}]|[^\P{Z} ]/gu, escape);
}

/** `mqtt`, [`embedded`, `port`] → `"mqtt": { "embedded": { "port": … } }`. */
function dottedAsNested(head: string, rest: string[]): string {
  return [head, ...rest].reduceRight((inner, key) => `${JSON.stringify(key)}: ${inner === '' ? '…' : `{ ${inner} }`}`, '');
}

interface SchemaNode {
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, unknown>;
}

/** Turns ajv's errors into one issue per real problem, each with a hint drawn from the schema. */
export function issuesFromAjv(errors: ErrorObject[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // "must match then schema" only repeats the specific errors that follow it.
    if (error.keyword === 'if') continue;
    // A type error on a union (`["string","null"]`) also reports each alternative; keep one line.
    const node = (error.parentSchema ?? {}) as SchemaNode;
    let path = pointerToPath(error.instancePath);
    let message = error.message ?? 'is invalid';
    let hint: string | undefined;
    switch (error.keyword) {
      case 'additionalProperties': {
        const key = String((error.params as { additionalProperty: string }).additionalProperty);
        path = childPath(path, key);
        message = 'unknown key';
        const known = Object.keys(node.properties ?? {});
        const near = known.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2);
        const [head, ...rest] = key.split('.');
        if (rest.length > 0 && head !== undefined && known.includes(head)) hint = `keys are nested, not dotted: write ${dottedAsNested(head, rest)}`;
        else hint = near ? `did you mean "${near}"?` : `remove it; known keys here: ${known.join(', ')}`;
        break;
      }
      case 'enum':
        hint = `one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'type':
      case 'minimum':
      case 'maximum':
      case 'pattern':
      case 'minLength':
      case 'format':
        hint = describe(error.schemaPath, node);
        break;
      case 'required':
        path = childPath(path, String((error.params as { missingProperty: string }).missingProperty));
        message = 'is required';
        break;
      default:
        break;
    }
    const key = `${path}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(hint ? { path, message, hint } : { path, message });
  }
  return issues;
}

function describe(_schemaPath: string, node: SchemaNode): string | undefined {
  const parts: string[] = [];
  if (node.title) parts.push(node.title.toLowerCase());
  if (node.default !== undefined) parts.push(`default ${JSON.stringify(node.default)}`);
  return parts.length ? parts.join(', ') : undefined;
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
