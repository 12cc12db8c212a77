import t from 'tap';
import { readFileSync } from 'node:fs';
import { configDocsPath, renderConfigDocs } from '../../scripts/config-docs.js';
import { configSchemaPath } from '../../daemon/paths.js';

t.test('docs/configuration.md is generated from the current schema', async (t) => {
  const committed = readFileSync(configDocsPath, 'utf8');
  t.equal(committed, renderConfigDocs(), 'run `npm run build && node dist/scripts/config-docs.js` to regenerate');
  t.match(committed, /\| `mqtt\.embedded\.port` \|/);
});

t.test('each kind of source has its keys listed, shared ones once, and array items no environment name', async (t) => {
  const schema = JSON.parse(readFileSync(configSchemaPath, 'utf8')) as { properties: { sources: { items: { properties: Record<string, unknown>; allOf: { if: { properties: { type: { const: string } } }; then: { properties: Record<string, unknown> } }[] } } } };
  const items = schema.properties.sources.items;
  const docs = renderConfigDocs();
  for (const branch of items.allOf) {
    const kind = branch.if.properties.type.const;
    for (const key of Object.keys(branch.then.properties)) {
      if (key in items.properties) continue;
      // each kind's key is listed, naming that kind, or no kind when every kind has it alike
      const rows = docs.split('\n').filter((line) => line.startsWith(`| \`sources[].${key}\` |`));
      t.ok(rows.some((row) => row.includes(`\`${kind}\``) || !row.includes(' only) ')), `${kind}: ${key}`);
    }
  }
  t.equal(docs.split('\n').filter((line) => line.startsWith('| `sources[].channel` |')).length, 1, 'a key every kind has alike: one row');
  t.match(docs, /\| `sources\[\]\.maxQueuedSegments` \|[^\n]*\(`command` and `socket` only\)/, 'a key two kinds share: one row naming both');
  t.notMatch(docs, /EARSHOT_SOURCES\[\]/, 'no environment name for one item of an array');
});
