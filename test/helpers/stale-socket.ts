import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { linkSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Leaves a unix socket file at `path` that nobody listens on, as a crashed daemon does. The
 * socket is linked away before its server closes, since close() unlinks the original.
 */
export async function makeStaleSocket(path: string): Promise<void> {
  const original = join(dirname(path), `.listening-${process.pid}.sock`);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(original, resolve));
  linkSync(original, path);
  await new Promise((resolve) => server.close(resolve));
}

/**
 * A unix socket at `path` served by a child process that is then stopped (SIGSTOP) with its
 * accept backlog full, so that a new connection is turned away with EAGAIN, as from a hung
 * daemon. `kill()` ends the process and leaves its socket file behind, stale.
 */
export async function serveFromStoppedProcess(path: string): Promise<{ kill(): Promise<void> }> {
  const listen = "require('node:net').createServer().listen({ path: process.argv[1], backlog: 1 }, () => process.stdout.write('up'))";
  const child = spawn(process.execPath, ['-e', listen, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`the listener for ${path} exited (${code}) before it listened`)));
  });
  process.kill(child.pid!, 'SIGSTOP');
  const held: Socket[] = [];
  const kill = async () => {
    for (const s of held) s.destroy();
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  // The kernel queues `backlog` (+1 on Linux) connections for a stopped listener; then it refuses more.
  for (let i = 0; i < 64; i++) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(path, () => resolve(false)).once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EAGAIN'));
      held.push(s);
    });
    if (refused) return { kill };
  }
  await kill();
  throw new Error(`the backlog of the stopped listener on ${path} never filled`);
}
