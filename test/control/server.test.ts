import t from 'tap';
import { lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlServer } from '../../daemon/control/server.js';
import { callDaemonUntyped, DaemonRequestError } from '../../daemon/control/client.js';
import { LogSink } from '../../daemon/log/logger.js';
import { waitFor } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';
import { makeStaleSocket, serveFromStoppedProcess } from '../helpers/stale-socket.js';

const logs = new LogSink({ level: 'error', format: 'text', write: () => undefined });

async function startServer(maxRequestBytes = 65536) {
  const socket = join(tempDir('ctl-'), 'run', 'control.sock');
  const server = new ControlServer({ config: { socket, mode: '0660', maxRequestBytes, requestTimeoutMs: 300, maxConnections: 64 }, logger: logs.logger('control') });
  server.registerUntyped('echo', {
    params: { type: 'object', properties: { text: { type: 'string', maxLength: 20 } }, required: ['text'], additionalProperties: false },
    handler: (p) => p,
  });
  server.registerUntyped('boom', { handler: () => { throw new Error('handler exploded'); } });
  server.registerUntyped('slow', { handler: () => new Promise((r) => setTimeout(r, 2000)) });
  await server.start();
  return { server, socket };
}

/** Sends raw bytes and collects what comes back until the server closes or `ms` passes. */
function rawExchange(socket: string, payload: Buffer | string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(socket);
    let got = '';
    const done = () => { c.destroy(); resolve(got); };
    const timer = setTimeout(done, ms);
    c.on('data', (d) => (got += d.toString()));
    c.on('close', () => { clearTimeout(timer); resolve(got); });
    c.on('error', () => undefined);
    c.on('connect', () => c.write(payload));
  });
}

t.test('the socket is created with mode 0660 and answers requests', async (t) => {
  const { server, socket } = await startServer();
  t.teardown(() => server.stop());
  t.equal(statSync(socket).mode & 0o777, 0o660);
  t.same(await callDaemonUntyped('echo', { text: 'hi' }, { socket }), { text: 'hi' });
});

t.test('bad requests get error replies and the server keeps serving', async (t) => {
  const { server, socket } = await startServer();
  t.teardown(() => server.stop());

  const garbage = await rawExchange(socket, Buffer.concat([randomBytes(4096).map((b) => (b === 10 ? 32 : b)), Buffer.from('\n')]));
  t.match(JSON.parse(garbage.split('\n')[0]!), { status: 'error', error: { code: 'bad_request' } });

  const unknown = await callDaemonUntyped('nope', {}, { socket }).catch((e: unknown) => e);
  t.ok(unknown instanceof DaemonRequestError);
  t.equal((unknown as DaemonRequestError).code, 'unknown_method');

  const invalid = await callDaemonUntyped('echo', { text: 42 }, { socket }).catch((e: unknown) => e);
  t.equal((invalid as DaemonRequestError).code, 'invalid_params');

  const thrown = await callDaemonUntyped('boom', {}, { socket }).catch((e: unknown) => e);
  t.equal((thrown as DaemonRequestError).code, 'failed');
  t.match((thrown as Error).message, /handler exploded/);

  const slow = await callDaemonUntyped('slow', {}, { socket }).catch((e: unknown) => e);
  t.equal((slow as DaemonRequestError).code, 'timeout');

  const notObject = await rawExchange(socket, '[1,2,3]\n{"id":1}\n');
  const replies = notObject.trim().split('\n').map((l) => JSON.parse(l) as { status: string });
  t.equal(replies.length, 2);
  t.ok(replies.every((r) => r.status === 'error'));

  t.same(await callDaemonUntyped('echo', { text: 'still here' }, { socket }), { text: 'still here' });
});

t.test('a 10 MB line is refused with too_large and the connection closed', async (t) => {
  const { server, socket } = await startServer(1 << 20);
  t.teardown(() => server.stop());
  const reply = await rawExchange(socket, Buffer.alloc(10 * 1024 * 1024, 0x61), 5000);
  t.match(JSON.parse(reply.split('\n')[0]!), { status: 'error', error: { code: 'too_large' } });
  t.same(await callDaemonUntyped('echo', { text: 'after' }, { socket }), { text: 'after' });
});

t.test('a stale socket file is replaced; a live one refuses a second server', async (t) => {
  const { server, socket } = await startServer();
  const second = new ControlServer({ config: { socket, mode: '0660', maxRequestBytes: 1024, requestTimeoutMs: 100, maxConnections: 64 }, logger: logs.logger('x') });
  await t.rejects(second.start(), /another earshotd is already serving/);
  await server.stop();
  const third = new ControlServer({ config: { socket, mode: '0660', maxRequestBytes: 1024, requestTimeoutMs: 100, maxConnections: 64 }, logger: logs.logger('x') });
  await third.start();
  await third.stop();
});

t.test('a control socket whose daemon is stopped (its backlog full) is refused, not taken over', async (t) => {
  const socket = join(tempDir(), 'control.sock');
  const hung = await serveFromStoppedProcess(socket);
  t.teardown(() => hung.kill());
  const server = new ControlServer({ config: { socket, mode: '0660', maxRequestBytes: 1024, requestTimeoutMs: 100, maxConnections: 64 }, logger: logs.logger('x') });
  t.teardown(() => server.stop());
  await t.rejects(server.start(), { message: `control.socket: another earshotd is already serving ${socket} (its backlog is full, as when its process is stopped); stop it first or set control.socket to another path` });
  t.equal(server.state().state, 'stopped');
});

t.test('a control socket held by a program that accepts and never answers is refused at once and left to it', async (t) => {
  const socket = join(tempDir(), 'control.sock');
  // Takes every connection and never writes a byte: alive, though it is no earshotd we know.
  const accepted: Socket[] = [];
  const silent = createServer((c) => void accepted.push(c));
  await new Promise<void>((resolve) => silent.listen(socket, resolve));
  t.teardown(() => {
    for (const c of accepted) c.destroy();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const server = new ControlServer({ config: { socket, mode: '0660', maxRequestBytes: 1024, requestTimeoutMs: 100, maxConnections: 64 }, logger: logs.logger('x') });
  t.teardown(() => server.stop());
  // The probe takes an accepted connection as the answer; it must not wait on the silence.
  const began = performance.now();
  const outcome = await Promise.race([server.start().then(() => 'started', (err: unknown) => err), sleep(5000, 'still probing after 5 s', { ref: false })]);
  t.match(outcome, { message: `control.socket: another earshotd is already serving ${socket} (it accepted a connection); stop it first or set control.socket to another path` }, `refused after ${Math.round(performance.now() - began)} ms`);
  t.equal(server.state().state, 'stopped');
  t.ok(lstatSync(socket).isSocket(), 'its socket file is kept');
  const client = connect(socket);
  t.teardown(() => void client.destroy());
  // The probe and this one, both at the silent owner: nobody else listens there.
  await t.resolves(waitFor(() => accepted.length === 2, 2000, 'a second connection at the owner'), 'connections there still reach its owner');
});

t.test('a client with no daemon gets a not-running error with a hint', async (t) => {
  const err = await callDaemonUntyped('status', {}, { socket: join(tempDir(), 'none.sock') }).catch((e: unknown) => e);
  t.ok(err instanceof DaemonRequestError);
  t.equal((err as DaemonRequestError).code, 'not_running');
  t.match((err as DaemonRequestError).hint, /systemctl start earshot/);
});

t.test('a control.socket path holding a regular file is refused with an error naming it, and the file is kept', async (t) => {
  const socket = join(tempDir(), 'earshot.json');
  writeFileSync(socket, '{"siteId":"lab"}');
  const server = new ControlServer({ config: { socket, mode: '0660', maxRequestBytes: 1024, requestTimeoutMs: 100, maxConnections: 64 }, logger: logs.logger('x') });
  await t.rejects(server.start(), { name: 'ConfigFileError', message: `control.socket: ${socket} is a regular file, not a unix socket; refusing to delete it to listen there. Set control.socket to a free path (such as one under /run/earshot), or move that regular file away` });
  await server.stop();
  t.equal(readFileSync(socket, 'utf8'), '{"siteId":"lab"}');
});

t.test('a stale control socket left by a crashed daemon is replaced', async (t) => {
  const socket = join(tempDir(), 'control.sock');
  await makeStaleSocket(socket);
  const server = new ControlServer({ config: { socket, mode: '0660', maxRequestBytes: 1024, requestTimeoutMs: 100, maxConnections: 64 }, logger: logs.logger('x') });
  server.registerUntyped('echo', { handler: (p) => p });
  await server.start();
  t.teardown(() => server.stop());
  t.same(await callDaemonUntyped('echo', { up: true }, { socket }), { up: true });
});
