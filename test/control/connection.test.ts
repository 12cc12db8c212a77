import t from 'tap';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ControlServer } from '../../daemon/control/server.js';
import type { ConnectionLimits } from '../../daemon/control/connection.js';
import { callDaemonUntyped } from '../../daemon/control/client.js';
import { LogSink } from '../../daemon/log/logger.js';
import { tempDir } from '../helpers/paths.js';

const logs = new LogSink({ level: 'error', format: 'text', write: () => undefined });

/** A real server on a real socket; `pad` answers 1 KB, `hold` waits until `release()`. */
async function startServer(tt: { teardown(fn: () => unknown): void }, limits: Partial<ConnectionLimits>, maxConnections = 64) {
  const socket = join(tempDir('ctl-'), 'control.sock');
  const server = new ControlServer({
    config: { socket, mode: '0660', maxRequestBytes: 65536, requestTimeoutMs: 20_000, maxConnections },
    logger: logs.logger('control'),
    limits,
  });
  let handled = 0;
  let release = () => undefined as void;
  const gate = new Promise<void>((r) => (release = r));
  server.registerUntyped('pad', { handler: () => ({ n: ++handled, pad: 'x'.repeat(1000) }) });
  server.registerUntyped('hold', { handler: async () => { handled++; await gate; return 'released'; } });
  server.registerUntyped('echo', { handler: (p) => p });
  await server.start();
  tt.teardown(async () => { release(); await server.stop(); });
  return { server, socket, handled: () => handled, release };
}

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const c = connect(path, () => resolve(c));
    c.once('error', reject);
  });
}

const requests = (method: string, n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, method }) + '\n').join('');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until it stops changing for `quietMs` (or `maxMs` passes); returns the last value. */
async function settled(read: () => number, quietMs = 300, maxMs = 10_000): Promise<number> {
  const end = Date.now() + maxMs;
  let last = read();
  let since = Date.now();
  while (Date.now() < end && Date.now() - since < quietMs) {
    await sleep(25);
    const now = read();
    if (now !== last) [last, since] = [now, Date.now()];
  }
  return last;
}

/** Resolves true if `socket` closes within `ms`, false if it is still open then. */
function closesWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => { clearTimeout(timer); resolve(true); });
  });
}

/** Collects reply lines from `socket` until `n` have come (or it closes). */
function replies(socket: Socket, n: number): Promise<string[]> {
  return new Promise((resolve) => {
    let text = '';
    let count = 0;
    const lines = () => text.split('\n').filter((l) => l !== '');
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) count++;
      if (count >= n) resolve(lines());
    });
    socket.once('close', () => resolve(lines()));
  });
}

t.test('a client that pipelines requests and never reads is not read past the reply backlog; others are served', async (t) => {
  const backlog = 16 * 1024;
  const { server, socket, handled } = await startServer(t, { maxInFlight: 8, maxReplyBacklogBytes: backlog });
  const total = 20_000; // ~20 MB of replies if all were answered and held
  const greedy = await open(socket);
  greedy.pause(); // never read: the replies pile up on the daemon's side
  greedy.write(requests('pad', total));

  const answered = await settled(handled);
  t.ok(answered < total / 4, `the daemon stopped reading after ${answered} of ${total} requests`);
  const stats = server.stats();
  // Requests already taken when the limit is crossed are still answered: up to 8 more replies.
  t.ok(stats.replyBacklogBytes <= backlog + 8 * 1100, `reply backlog ${stats.replyBacklogBytes} B stays within the ${backlog} B limit plus the in-flight replies`);
  t.ok(stats.inFlightRequests <= 8, `in-flight requests ${stats.inFlightRequests} stay within the cap`);
  t.ok(stats.bufferedRequestBytes <= 256 * 1024, `unparsed request bytes ${stats.bufferedRequestBytes} stay bounded`);

  t.same(await callDaemonUntyped('echo', { text: 'others still served' }, { socket, timeoutMs: 5000 }), { text: 'others still served' });

  // Once the client reads, the daemon resumes and answers every request, in order.
  const got = replies(greedy, total);
  greedy.resume();
  const lines = await got;
  t.equal(lines.length, total);
  t.equal((JSON.parse(lines.at(-1)!) as { id: number }).id, total - 1);
  greedy.destroy();
});

t.test('requests read and not yet answered are capped per connection', async (t) => {
  const { server, socket, handled, release } = await startServer(t, { maxInFlight: 8 });
  const client = await open(socket);
  const got = replies(client, 1000);
  client.write(requests('hold', 1000));
  const inFlight = await settled(() => server.stats().inFlightRequests);
  t.equal(inFlight, 8, 'at most maxInFlight requests are taken off the socket while the first one waits');
  t.equal(handled(), 1, 'requests are still handled one at a time, in order');
  release();
  t.equal((await got).length, 1000, 'every request is answered once the handler returns');
  client.destroy();
});

t.test('an unfinished request line closes the connection at the deadline, even if bytes keep trickling in', async (t) => {
  const { socket } = await startServer(t, { partialLineMs: 200 });
  const quiet = await open(socket);
  const reply = replies(quiet, 1);
  quiet.write('{"id":1');
  t.ok(await closesWithin(quiet, 3000), 'a half-sent request does not hold the connection');
  t.match(JSON.parse((await reply)[0]!), { id: null, status: 'error', error: { code: 'timeout', message: /unfinished after 200 ms/ } });

  const trickle = await open(socket);
  trickle.on('error', () => undefined);
  const drip = setInterval(() => trickle.writable && trickle.write(' '), 50); // each byte well inside the deadline
  t.teardown(() => clearInterval(drip));
  t.ok(await closesWithin(trickle, 3000), 'a byte now and then does not extend the deadline');
});

t.test('a client streaming requests in chunks that end mid-line stays connected while each line completes in time', async (t) => {
  // Each line waits 50 ms for its second half, which a stall of the box must not stretch past
  // the deadline; the deadline is still well under the time something is buffered.
  const { socket } = await startServer(t, { partialLineMs: 1000 });
  const client = await open(socket);
  client.on('error', () => undefined);
  const n = 40;
  const got = replies(client, n);
  // Each chunk ends halfway through a request and the next one finishes it 50 ms later, so
  // something is always buffered, for 40 × 50 ms = 2 s or more: twice the deadline, which
  // a deadline for the connection rather than for each line would not survive.
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, method: 'echo', params: { i } }) + '\n');
  let carry = '';
  for (const line of lines) {
    const half = Math.floor(line.length / 2);
    client.write(carry + line.slice(0, half));
    carry = line.slice(half);
    await sleep(50);
  }
  client.write(carry);
  const answered = (await got).map((l) => JSON.parse(l) as { id: number; status: string });
  t.same(answered.map((r) => [r.id, r.status]), lines.map((_, i) => [i, 'ok']), 'every request answered, in order');
  t.notOk(await closesWithin(client, 100), 'still connected');
  client.destroy();
});

t.test('connections that each send one byte do not lock the CLI out', async (t) => {
  const { socket } = await startServer(t, { partialLineMs: 200 }, 4);
  const loris = await Promise.all(Array.from({ length: 4 }, () => open(socket)));
  for (const c of loris) {
    c.on('error', () => undefined);
    c.write('{');
  }
  const deadline = Date.now() + 5000;
  let result: unknown;
  while (Date.now() < deadline) {
    result = await callDaemonUntyped('echo', { ok: true }, { socket, timeoutMs: 1000 }).catch((e: unknown) => e);
    if (!(result instanceof Error)) break;
    await sleep(100);
  }
  t.same(result, { ok: true }, 'the CLI gets a slot once the unfinished lines hit their deadline');
  for (const c of loris) c.destroy();
});

t.test('an idle connection is closed; one with a request in flight is not', async (t) => {
  // The idle deadline also runs from the accept to the first request; a stall of the box
  // there must not close the busy connection before its request is read.
  const { socket, release } = await startServer(t, { idleMs: 1000 });
  const idle = await open(socket);
  const first = replies(idle, 1);
  idle.write(requests('echo', 1));
  t.equal((await first).length, 1);
  t.ok(await closesWithin(idle, 5000), 'closed after the idle deadline');

  const busy = await open(socket);
  const held = replies(busy, 1);
  busy.write(requests('hold', 1));
  t.notOk(await closesWithin(busy, 3000), 'still open three idle deadlines later while its request is in flight');
  release();
  t.match(JSON.parse((await held)[0]!), { status: 'ok', data: 'released' });
  busy.destroy();
});
