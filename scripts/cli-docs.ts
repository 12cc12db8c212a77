/**
 * Writes docs/cli.md from the oclif command classes (summary, description, flags,
 * examples), so the CLI reference matches the binary. `node dist/scripts/cli-docs.js`
 * rewrites it; test/docs checks that the committed file is current.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../daemon/paths.js';

export const cliDocsPath = join(packageRoot, 'docs', 'cli.md');
const commandsDir = join(packageRoot, 'daemon', 'cli', 'commands');
const compiledDir = join(packageRoot, 'dist', 'daemon', 'cli', 'commands');

interface FlagInfo {
  char?: string;
  description?: string;
  type?: string;
  options?: string[];
  hidden?: boolean;
}
interface CommandClass {
  summary?: string;
  description?: string;
  examples?: Array<string | { command: string; description?: string }>;
  flags?: Record<string, FlagInfo>;
  args?: Record<string, { description?: string; required?: boolean }>;
  enableJsonFlag?: boolean;
}

function listCommands(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listCommands(full));
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

export async function renderCliDocs(): Promise<string> {
  const sections: string[] = [];
  const index: string[] = [];
  for (const source of listCommands(commandsDir)) {
    const id = relative(commandsDir, source).replace(/\.ts$/, '').split(sep).join(' ');
    const compiled = join(compiledDir, relative(commandsDir, source).replace(/\.ts$/, '.js'));
    const cls = ((await import(pathToFileURL(compiled).href)) as { default: CommandClass }).default;
    const args = Object.entries(cls.args ?? {}).map(([n, a]) => (a.required ? ` ${n.toUpperCase()}` : ` [${n.toUpperCase()}]`)).join('');
    index.push(`| \`earshot ${id}${args}\` | ${(cls.summary ?? '').replace(/\|/g, '\\|')} |`);
    const lines = [`## earshot ${id}${args}`, '', cls.summary ?? '', ''];
    if (cls.description) lines.push(cls.description, '');
    const flags = Object.entries(cls.flags ?? {}).filter(([, f]) => !f.hidden);
    if (flags.length || cls.enableJsonFlag) {
      lines.push('| Flag | Meaning |', '| --- | --- |');
      for (const [name, f] of flags) {
        const opts = f.options ? ` (${f.options.join('\\|')})` : '';
        lines.push(`| \`${f.char ? `-${f.char}, ` : ''}--${name}\` | ${(f.description ?? '').replace(/\|/g, '\\|')}${opts} |`);
      }
      if (cls.enableJsonFlag) lines.push('| `--json` | print the result as JSON |');
      lines.push('');
    }
    const examples = (cls.examples ?? []).map((e) => (typeof e === 'string' ? e : e.command).replace(/<%= config.bin %>/g, 'earshot'));
    if (examples.length) lines.push('```sh', ...examples, '```', '');
    sections.push(lines.join('\n'));
  }
  return ['# CLI reference', '', '<!-- Generated from daemon/cli/commands by scripts/cli-docs.ts; do not edit by hand. -->', '', '| Command | What it does |', '| --- | --- |', ...index, '', ...sections].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(cliDocsPath, await renderCliDocs());
  process.stdout.write(`wrote ${cliDocsPath}\n`);
}
