import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Where ports are looked for: below the kernel's ephemeral range. A port from listen(0) comes
 * from that range, and so does the source port of every outgoing connection: another test's
 * client or broker could take it between our pick and the daemon's bind, seconds later (or
 * between a SIGKILL and the restart that binds it again). Nothing takes a port below the range
 * on its own.
 */
const LOWEST = 10_000;

/** The first port of the ephemeral range (Linux); 32768, its usual start, elsewhere. */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 0 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now, and that nothing picks by itself. */
export async function freePort(): Promise<number> {
  const top = ephemeralStart();
  if (top - LOWEST > 1000) {
    for (let tries = 0; tries < 50; tries++) {
      const port = await listenOnce(LOWEST + Math.floor(Math.random() * (top - LOWEST)));
      if (port !== undefined) return port;
    }
  }
  // A box whose ephemeral range starts low: any free port, as the kernel picks it.
  const port = await listenOnce(0);
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}
