import { createServer } from 'node:net';
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
