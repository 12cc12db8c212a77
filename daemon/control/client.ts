import { connect } from 'node:net';
import type { ControlErrorBody, ControlReply } from './protocol.js';
import type { MethodName, ParamsOf, ResultOf } from './methods.js';
import { EARSHOT_GROUP_HINT } from '../earshot-group.js';

/** What went wrong talking to the daemon, with a hint the CLI prints as-is. */
export class DaemonRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'DaemonRequestError';
  }
}

export interface RequestOptions {
  socket: string;
  timeoutMs?: number;
}

let nextId = 1;

/** Sends one request over the control socket and returns the reply's `data`. */
export async function callDaemon<M extends MethodName>(method: M, params: ParamsOf<M>, options: RequestOptions): Promise<ResultOf<M>> {
  return (await callDaemonUntyped(method, params, options)) as ResultOf<M>;
}

export function callDaemonUntyped(method: string, params: unknown, options: RequestOptions): Promise<unknown> {
  const id = nextId++;
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const socket = connect(options.socket);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DaemonRequestError(`no reply from the daemon within ${timeoutMs} ms`, 'timeout', 'check `journalctl -u earshot` for what the daemon is doing'));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify({ id, method, params }) + '\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      socket.end();
      let replyValue: ControlReply;
      try {
        replyValue = JSON.parse(buffer.slice(0, nl)) as ControlReply;
      } catch {
        reject(new DaemonRequestError('the daemon sent a reply that is not JSON', 'bad_reply'));
        return;
      }
      if (replyValue.status === 'ok') resolve(replyValue.data);
      else reject(fromBody(replyValue.error));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(connectError(err, options.socket));
    });
  });
}

function fromBody(body: ControlErrorBody): DaemonRequestError {
  return new DaemonRequestError(body.message, body.code, body.hint);
}

function connectError(err: NodeJS.ErrnoException, socket: string): DaemonRequestError {
  const start = 'start it with `systemctl start earshot` or `earshotd --config FILE`';
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new DaemonRequestError(`daemon not running: no control socket answers at ${socket}`, 'not_running', `${start}; or point at its socket with --socket PATH / --config FILE`);
    case 'EACCES':
    case 'EPERM':
      return new DaemonRequestError(`permission denied on control socket ${socket}`, 'forbidden', EARSHOT_GROUP_HINT);
    case 'EPIPE':
    case 'ECONNRESET':
      // The daemon accepted and closed at once: it is up but holds control.maxConnections.
      return new DaemonRequestError(`the daemon at ${socket} closed the connection: ${err.message}`, 'unreachable', 'it may be at control.maxConnections: another local client holds its connections open; find it (`ss -xp | grep control.sock`) or raise the limit');
    default:
      return new DaemonRequestError(`cannot reach the daemon at ${socket}: ${err.message}`, 'unreachable', start);
  }
}
