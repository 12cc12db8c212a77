import t from 'tap';
import { readFileSync } from 'node:fs';
import { cliDocsPath, renderCliDocs } from '../../scripts/cli-docs.js';

t.test('docs/cli.md is generated from the current commands', async (t) => {
  t.equal(readFileSync(cliDocsPath, 'utf8'), await renderCliDocs(), 'run `npm run build && node dist/scripts/cli-docs.js` to regenerate');
});
