import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { extname } from 'node:path';

/**
 * Runs a sibling script (`child.ts` from source under tap, `child.js` from dist) in a new
 * node process with the same TypeScript loader tap gave us, minus tap's process tracking
 * (it writes under .tap/, which unprivileged children cannot).
 */
export function scriptPath(selfUrl: string, dir: string, baseName: string): string {
  return `${dir}/${baseName}${extname(new URL(selfUrl).pathname)}`;
}

export function loaderArgs(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    let value = a;
    if (!a.includes('=') && (a === '--import' || a === '--loader' || a === '--require' || a === '-r')) value = `${a}=${argv[++i] ?? ''}`;
    if (value.includes('@tapjs/') && !value.includes('@tapjs/typescript')) continue;
    out.push(value);
  }
  return out;
}

export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/processinfo/i.test(k) && !/processinfo/.test(v ?? '')) env[k] = v;
  return env;
}

export function spawnNode(script: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [...loaderArgs(), script, ...args], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...options });
}
