import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs a helper script of this folder in a real child process, from source (`.ts`, with the
 * same TypeScript loader tap gave this process) or compiled (`.js` under dist/).
 */
export function spawnHelper(name: string, args: string[]): ChildProcess {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const script = fileURLToPath(new URL(`./${name}${ext}`, import.meta.url));
  return spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Collects a child's stdout lines and lets a test wait for one. */
export class ChildLines {
  readonly lines: string[] = [];
  stderr = '';
  private buffer = '';
  private listeners: Array<() => void> = [];
  /** Set on 'close': the child has exited and all it wrote to stdout and stderr has been read. */
  private closed = false;
  private readonly closedPromise: Promise<void>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      const parts = this.buffer.split('\n');
      this.buffer = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const l of this.listeners.splice(0)) l();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    // 'close', not 'exit': 'exit' can come while the child's last lines are still in the pipe.
    this.closedPromise = new Promise((resolve) =>
      child.once('close', () => {
        this.closed = true;
        for (const l of this.listeners.splice(0)) l();
        resolve();
      }),
    );
  }

  async waitFor(predicate: (lines: string[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.lines)) {
      if (this.closed) {
        throw new Error(`child exited (${this.child.exitCode ?? this.child.signalCode}) before ${what}; stderr:\n${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.listeners.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves once the child has exited and all its output has been read. */
  exited(): Promise<void> {
    return this.closedPromise;
  }

  lastDurable(): number {
    let last = -1;
    for (const l of this.lines) {
      const m = /^durable (\d+)$/.exec(l);
      if (m) last = Number(m[1]);
    }
    return last;
  }
}
