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
  items?: Node;
  minimum?: number;
  maximum?: number;
}

export const configDocsPath = join(packageRoot, 'docs', 'configuration.md');

function typeOf(node: Node): string {
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  const t = Array.isArray(node.type) ? node.type.join(' | ') : (node.type ?? 'any');
  if (t === 'array' && node.items) return `array of ${typeOf(node.items)}`;
  const range = node.minimum !== undefined || node.maximum !== undefined ? ` (${node.minimum ?? '…'}–${node.maximum ?? '…'})` : '';
  return t + range;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderConfigDocs(): string {
  const schema = JSON.parse(readFileSync(configSchemaPath, 'utf8')) as Node;
  const rows: string[] = [];
  const walk = (node: Node, path: string[]) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      if (key === '$schema') continue;
      const here = [...path, key];
      const isSection = child.type === 'object' && child.properties;
      const def = isSection ? '' : `\`${JSON.stringify(child.default)}\``;
      rows.push(`| \`${here.join('.')}\` | ${cell(typeOf(child))} | ${def} | ${cell(`**${child.title ?? key}.** ${child.description ?? ''}`)} | \`${envName(here)}\` |`);
      if (isSection) walk(child, here);
      if (child.items?.properties) walk(child.items, [...here.slice(0, -1), `${key}[]`]);
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
    'Every key is optional. Environment variables override the file: the path in UPPER_SNAKE case with `__` between levels. Arrays and objects are given as JSON.',
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
