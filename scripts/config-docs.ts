/**
 * Writes docs/configuration.md from config.schema.json, so the reference can never drift
 * from the defaults the daemon uses. `node dist/scripts/config-docs.js` rewrites it;
 * test/docs checks that the committed file is current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configSchemaPath, packageRoot } from '../daemon/paths.js';
import { envName } from '../daemon/config/env.js';

interface Node {
  title?: string;
  description?: string;
  default?: unknown;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  /** Per-kind keys, as `if: { properties: { type: { const } } }, then: {...}` branches. */
  allOf?: { if?: { properties?: { type?: { const?: string } } }; then?: Node }[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  const?: unknown;
  oneOf?: Node[];
}

export const configDocsPath = join(packageRoot, 'docs', 'configuration.md');

function typeOf(node: Node): string {
  if (node.oneOf) return node.oneOf.map(typeOf).join(' | ');
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  const t = Array.isArray(node.type) ? node.type.join(' | ') : (node.type ?? 'any');
  if (t === 'array' && node.items) return `array of ${typeOf(node.items)}`;
  const low = node.minimum ?? (node.exclusiveMinimum !== undefined ? `>${node.exclusiveMinimum}` : undefined);
  const high = node.maximum ?? (node.exclusiveMaximum !== undefined ? `<${node.exclusiveMaximum}` : undefined);
  const range = low !== undefined || high !== undefined ? ` (${low ?? '…'}–${high ?? '…'})` : '';
  return t + range;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The default as the table shows it: required keys and keys without one say so. */
function defaultCell(node: Node, key: string, parent: Node): string {
  if (node.default !== undefined) return `\`${JSON.stringify(node.default)}\``;
  return parent.required?.includes(key) ? 'required' : '';
}

export function renderConfigDocs(): string {
  const schema = JSON.parse(readFileSync(configSchemaPath, 'utf8')) as Node;
  const rows: string[] = [];
  const walk = (node: Node, path: string[], only?: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      if (key === '$schema') continue;
      const here = [...path, key];
      const isSection = child.type === 'object' && child.properties;
      const def = isSection ? '' : defaultCell(child, key, node);
      // An array's items cannot be set one by one from the environment, only the whole array as JSON.
      const env = here.some((part) => part.endsWith('[]')) ? '' : `\`${envName(here)}\``;
      const kind = only ? `(${only} only) ` : '';
      rows.push(`| \`${here.join('.')}\` | ${cell(typeOf(child))} | ${def} | ${cell(`${kind}**${child.title ?? key}.** ${child.description ?? ''}`)} | ${env} |`);
      if (isSection) walk(child, here, only);
      if (child.items?.properties) walkItems(child.items, [...here.slice(0, -1), `${key}[]`]);
    }
  };
  // Keys common to every item, then each kind's own (sources: spool, command, socket); a key
  // that several kinds share alike is listed once, naming them.
  const walkItems = (items: Node, path: string[]) => {
    walk(items, path);
    const shared = new Map<string, { key: string; node: Node; required: boolean; kinds: string[] }>();
    for (const branch of items.allOf ?? []) {
      const kind = branch.if?.properties?.type?.const;
      if (!kind || !branch.then?.properties) continue;
      for (const [key, node] of Object.entries(branch.then.properties)) {
        if (key in (items.properties ?? {})) continue;
        const required = branch.then.required?.includes(key) ?? false;
        const id = JSON.stringify([key, node, required]);
        const group = shared.get(id) ?? { key, node, required, kinds: [] };
        group.kinds.push(`\`${kind}\``);
        shared.set(id, group);
      }
    }
    const kindCount = (items.allOf ?? []).filter((branch) => branch.if?.properties?.type?.const).length;
    for (const { key, node, required, kinds } of shared.values()) {
      const named = kinds.length === kindCount ? undefined : kinds.length === 1 ? kinds[0]! : `${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)!}`;
      walk({ properties: { [key]: node }, required: required ? [key] : [] }, path, named);
    }
  };
  walk(schema, []);
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from config.schema.json by scripts/config-docs.ts; do not edit by hand. -->',
    '',
    `${schema.description ?? ''}`,
    '',
    'Every key is optional unless marked required. Environment variables override the file: the path in UPPER_SNAKE case with `__` between levels. Arrays and objects are given as JSON (`EARSHOT_SOURCES` holds the whole list of sources, for one).',
    '',
    '| Key | Type | Default | Meaning | Environment |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(configDocsPath, renderConfigDocs());
  process.stdout.write(`wrote ${configDocsPath}\n`);
}
