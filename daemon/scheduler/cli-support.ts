import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { loadConfig } from '../config/load.js';
import type { EarshotConfig } from '../config/types.js';
import { configFileOf } from '../cli/daemon-flags.js';

/** The config the CLI works from when it does the work itself: --config, else $EARSHOT_CONFIG, else /etc/earshot/config.json when present, else defaults. */
export function localConfig(file: string | undefined): EarshotConfig {
  return loadConfig({ file: configFileOf({ config: file }), env: process.env });
}

/** For commands that read state files themselves (no daemon needed): where the data dir is. */
export const dataDirFlags = {
  config: Flags.string({ char: 'c', description: 'config file (for dataDir)', env: 'EARSHOT_CONFIG' }),
  'data-dir': Flags.string({ description: 'state directory (wins over the config)' }),
};

/** --data-dir, else the config's dataDir. */
export function dataDirOf(flags: { config?: string | undefined; 'data-dir'?: string | undefined }): string {
  return flags['data-dir'] ?? localConfig(flags.config).dataDir;
}

const AUDIO = new Set(['.wav', '.flac', '.mp3', '.ogg', '.opus', '.m4a', '.pcm', '.raw']);

/** Absolute paths of the audio files named, directories searched recursively (sorted). */
export async function expandAudioPaths(args: string[], cwd = process.cwd()): Promise<{ files: string[]; problems: string[] }> {
  const files: string[] = [];
  const problems: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && AUDIO.has(extname(e.name).toLowerCase())) files.push(p);
    }
  };
  for (const arg of args) {
    const p = resolve(cwd, arg);
    try {
      const s = await stat(p);
      if (s.isDirectory()) await walk(p);
      else files.push(p);
    } catch (err) {
      problems.push(`${arg}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
  }
  return { files, problems };
}

/** A progress bar on stderr for a terminal; a line per 10 % otherwise (journald, CI logs). */
export class ProgressBar {
  private lastDecile = -1;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  /** More to wait for than at the start (jobs made from recordings read meanwhile). */
  setTotal(total: number): void {
    this.total = total;
  }

  update(done: number, note = ''): void {
    if (this.total <= 0) return;
    const f = Math.min(1, done / this.total);
    if (this.out.isTTY) {
      const width = 30;
      const bar = '#'.repeat(Math.round(f * width)).padEnd(width, '.');
      this.out.write(`\r${this.label} [${bar}] ${done}/${this.total}${note ? ` ${note}` : ''}\x1b[K`);
      return;
    }
    const decile = Math.floor(f * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.out.write(`${this.label}: ${done}/${this.total} (${Math.round(f * 100)} %)${note ? ` ${note}` : ''}\n`);
    }
  }

  finish(): void {
    if (this.out.isTTY && this.total > 0) this.out.write('\n');
  }
}
