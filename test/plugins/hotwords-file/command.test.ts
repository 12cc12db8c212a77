import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import HotwordsTest, { type HotwordsTestResult } from '../../../daemon/cli/commands/hotwords/test.js';
import { fixturesDir, repoRoot, tempDir } from '../../helpers/paths.js';
import { runCommand } from '../../daemon-plugins/capture.js';

const lists = join(fixturesDir, 'plugins', 'hotword-lists');

t.test('a clean list prints its phrases and returns them as JSON', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'clean.txt');
  writeFileSync(file, '# names\nearshot:2.5\nJean-Luc\n');
  const { result, stdout } = await runCommand(HotwordsTest, [file, '--json', '--language', 'en'], repoRoot);
  const expected: HotwordsTestResult = {
    file,
    format: 'lines',
    hotwords: [
      { phrase: 'earshot', boost: 2.5, language: 'en' },
      { phrase: 'Jean-Luc', boost: 1.5, language: 'en' },
    ],
    problems: [],
  };
  t.same(result, expected, 'the plugin schema default boost 1.5 applies');
  t.same(JSON.parse(stdout), expected);
  const human = await runCommand(HotwordsTest, [file], repoRoot);
  t.match(human.stdout, /: 2 phrases \(lines\)\n  earshot  boost 2\.5\n  Jean-Luc  boost 1\.5\n/);
});

t.test('refused lines are reported with file:line and exit 1', async (t) => {
  const file = join(lists, 'site.txt');
  const { error, exitCode } = await runCommand(HotwordsTest, [file], repoRoot);
  t.equal(exitCode, 1);
  t.match(error?.message, /^5 lines refused \(5 phrases taken\):\n/);
  t.match(error?.message, new RegExp(`${file.replace(/[.]/g, '\\.')}:9: phrase "mail@example.com" contains "@"`));
});

t.test('settings come from the config file, flags win, and bad settings are named', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'list.txt');
  writeFileSync(file, 'a,b:1\n');
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ plugins: { config: { 'hotwords-file': { format: 'csv', defaultBoost: 3 } } } }));
  const csv = await runCommand(HotwordsTest, [file, '--config', configFile, '--json'], repoRoot);
  t.equal(csv.exitCode, 1);
  t.match(JSON.parse(csv.stdout), { error: { message: /^1 lines refused \(0 phrases taken\):\n.*list\.txt:1: weight "b:1" is not a number/ } }, 'read as CSV: the weight column is "b:1"');
  const lines = await runCommand(HotwordsTest, [file, '--config', configFile, '--format', 'lines'], repoRoot);
  t.match(lines.error?.message, /phrase "a,b" contains ","/, '--format wins over the config');

  writeFileSync(configFile, JSON.stringify({ plugins: { config: { 'hotwords-file': { maxLength: 0 } } } }));
  const bad = await runCommand(HotwordsTest, [file, '--config', configFile], repoRoot);
  t.match(bad.error?.message, /plugins\.config\.hotwords-file\.maxLength: must be >= 1/);
  const missing = await runCommand(HotwordsTest, [join(dir, 'nope.txt')], repoRoot);
  t.match(missing.error?.message, /hotword list .*nope\.txt does not exist/);
});
