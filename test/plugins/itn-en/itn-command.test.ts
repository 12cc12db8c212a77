/**
 * `earshot itn`: the required examples through the real oclif command (run in-process
 * with the repository's oclif config), for both languages, with and without --json.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Itn, { type ItnResult } from '../../../daemon/cli/commands/itn.js';
import { repoRoot, tempDir } from '../../helpers/paths.js';

/** Run the command; returns its result and what it printed. */
async function itn(argv: string[]): Promise<{ result: ItnResult; printed: string }> {
  let printed = '';
  // oclif sets process.exitCode when a command fails, as it would end the CLI process.
  const exitCode = process.exitCode;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    printed += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = (await Itn.run(argv, repoRoot)) as ItnResult;
    return { result, printed };
  } finally {
    process.stdout.write = write;
    process.exitCode = exitCode;
  }
}

t.test('the examples the issue requires', async (t) => {
  t.equal((await itn(['twenty three dollars and fifty cents', '--lang', 'en'])).printed, '$23.50\n');
  t.equal((await itn(['twenty three dollars fifty', '--lang', 'en'])).result.output, '$23.50');
  t.equal((await itn(['the first of march twenty twenty five', '--lang', 'en'])).result.output, 'March 1, 2025');
  t.equal((await itn(['二十三点五', '--lang', 'zh'])).result.output, '23.5');
  t.equal((await itn(['二零二五年三月五日', '--lang', 'zh'])).result.output, '2025年3月5日');
  t.equal((await itn(['one of the best', '--lang', 'en'])).printed, 'one of the best\n');
});

t.test('--date-format picks the English date style', async (t) => {
  const { result } = await itn(['the first of march twenty twenty five', '--date-format', 'ISO']);
  t.equal(result.output, '2025-03-01');
});

t.test('--json prints every rewritten span with its rule', async (t) => {
  const { result, printed } = await itn(['pay twenty three dollars fifty on the first of march', '--json']);
  t.same(JSON.parse(printed), result);
  t.equal(result.output, 'pay $23.50 on March 1');
  t.same(result.spans.map((s) => [s.category, s.spoken, s.written]), [
    ['money', 'twenty three dollars fifty', '$23.50'],
    ['date', 'the first of march', 'March 1'],
  ]);
  t.same(result.spans[0]!.start, 4);
});

t.test('an unknown language or empty text is refused with a hint', async (t) => {
  await t.rejects(itn(['hello', '--lang', 'fr']), /Expected --lang=fr to be one of: en, zh/);
  await t.rejects(itn(['  ']), /TEXT is empty/);
});

t.test('--config applies plugins.config.itn-en from the daemon config; the flag wins', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ siteId: 'lab-1', dataDir: dir, plugins: { config: { 'itn-en': { dateFormat: 'DMY' } } } }));
  t.equal((await itn(['the first of march twenty twenty five', '--config', file])).result.output, '1 March 2025');
  t.equal((await itn(['the first of march twenty twenty five', '--config', file, '--date-format', 'ISO'])).result.output, '2025-03-01');
  writeFileSync(file, JSON.stringify({ siteId: 'lab-1', dataDir: dir, plugins: { config: { 'itn-en': { dateFormat: 'YMD' } } } }));
  await t.rejects(itn(['march first', '--config', file]), /plugins\.config\.itn-en\.dateFormat/);
});
