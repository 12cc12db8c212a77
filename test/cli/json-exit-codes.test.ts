import t from 'tap';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../helpers/daemon-process.js';
import { distDir, tempDir } from '../helpers/paths.js';

/** Every compiled command file under dist/daemon/cli/commands. */
function commandFiles(dir = join(distDir, 'daemon', 'cli', 'commands')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? commandFiles(full) : name.endsWith('.js') ? [full] : [];
  });
}

t.test('every command is an EarshotCommand, so --json keeps its exit codes', async (t) => {
  // The compiled base class: the command files below are compiled ones, and extend that one.
  const base = ((await import(pathToFileURL(join(distDir, 'daemon', 'cli', 'earshot-command.js')).href)) as { EarshotCommand: abstract new () => unknown }).EarshotCommand;
  const files = commandFiles();
  t.ok(files.length > 20);
  for (const file of files) {
    const cls = ((await import(pathToFileURL(file).href)) as { default: unknown }).default;
    t.ok(typeof cls === 'function' && cls.prototype instanceof base, file);
  }
});

t.test('every command takes --json, as the README says', async (t) => {
  for (const file of commandFiles()) {
    const cls = ((await import(pathToFileURL(file).href)) as { default: { enableJsonFlag?: boolean } }).default;
    t.equal(cls.enableJsonFlag, true, file);
  }
});

t.test('the documented exit codes are the same with and without --json', async (t) => {
  const dir = tempDir('earshot-exit-');
  const socket = join(dir, 'nobody.sock');
  const badConfig = join(dir, 'bad.json');
  writeFileSync(badConfig, JSON.stringify({ siteId: 'x', nonsense: 1 }));
  const cases: Array<{ what: string; args: string[]; code: number }> = [
    { what: 'status, daemon not running', args: ['status', '--socket', socket], code: 3 },
    { what: 'jobs list, daemon not running', args: ['jobs', 'list', '--socket', socket], code: 3 },
    { what: 'status, invalid config', args: ['status', '--config', badConfig], code: 78 },
    { what: 'budget set, bad value', args: ['budget', 'set', '--watts', 'lots', '--socket', socket], code: 2 },
    { what: 'budget set, value out of range', args: ['budget', 'set', '--temp-soft', '10', '--socket', socket], code: 2 },
  ];
  for (const c of cases) {
    const plain = await runCli(c.args);
    t.equal(plain.code, c.code, `${c.what}: ${plain.stderr}`);
    const json = await runCli([...c.args, '--json']);
    t.equal(json.code, c.code, `${c.what} --json: ${json.stdout}`);
    t.match(JSON.parse(json.stdout), { error: { oclif: { exit: c.code } } }, `${c.what}: the error is still printed as JSON`);
  }
});
