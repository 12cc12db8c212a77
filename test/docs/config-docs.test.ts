import t from 'tap';
import { readFileSync } from 'node:fs';
import { configDocsPath, renderConfigDocs } from '../../scripts/config-docs.js';

t.test('docs/configuration.md is generated from the current schema', async (t) => {
  const committed = readFileSync(configDocsPath, 'utf8');
  t.equal(committed, renderConfigDocs(), 'run `npm run build && node dist/scripts/config-docs.js` to regenerate');
  t.match(committed, /\| `mqtt\.embedded\.port` \|/);
});
