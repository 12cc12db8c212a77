// Child for work-dirs.test.ts: deletes argv[2] with removeTree as whichever user started it
// (root's rm succeeds whatever the modes, so the test runs this as an unprivileged user).
import { removeTree } from '../../../daemon/catalog/work-dirs.js';

removeTree(process.argv[2] ?? '');
process.stdout.write('removed\n');
