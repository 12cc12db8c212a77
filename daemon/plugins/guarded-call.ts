import { describeValue } from './describe-value.js';
import { errorLocation } from './error-location.js';

/**
 * The outcome of one guarded plugin call. `timedOut`: it had not returned at its limit (it
 * may still be running; a plugin thread stuck in it answers nothing else). `at`: where what it
 * threw or rejected with was made ("/p/dist/index.js:42:11"), for the log, so that the
 * plugin's author can find it; not in `reason`, which transcripts carry to subscribers.
 */
export type CallOutcome<T> = { ok: true; value: T } | { ok: false; reason: string; timedOut?: true; at?: string };

/**
 * Run one plugin call so that nothing it does can escape: a synchronous throw, a rejected
 * promise or a promise still pending after `timeoutMs` becomes `{ ok: false, reason }`. A
 * late result of a timed-out call is dropped (and a late rejection swallowed, so it never
 * reaches the process's unhandledRejection handler).
 *
 * A plugin run inline that blocks the event loop (a synchronous endless loop) cannot be
 * preempted; the timeout then fires only after it returns. Plugins run in their own thread
 * (isolated-plugin.ts) answer through a promise, so their limit holds.
 */
export async function guardedCall<T>(call: () => T | Promise<T>, timeoutMs: number): Promise<CallOutcome<Awaited<T>>> {
  const started = performance.now();
  let pending: Promise<Awaited<T>>;
  try {
    pending = Promise.resolve(call()) as Promise<Awaited<T>>;
  } catch (err) {
    return failure(`threw: ${describeError(err)}`, err);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CallOutcome<Awaited<T>>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `timed out after ${timeoutMs} ms`, timedOut: true }), Math.max(0, timeoutMs - (performance.now() - started)));
  });
  const settled = pending.then(
    (value): CallOutcome<Awaited<T>> =>
      performance.now() - started > timeoutMs ? { ok: false, reason: `timed out: took ${Math.round(performance.now() - started)} ms, limit ${timeoutMs} ms` } : { ok: true, value },
    (err: unknown): CallOutcome<Awaited<T>> => failure(`${REASON_LEAD[err instanceof RemoteCallError ? err.how : 'rejected']}${describeError(err)}`, err),
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failed outcome, with where the error was made when its stack (or its thread's) says. */
function failure(reason: string, err: unknown): { ok: false; reason: string; at?: string } {
  const at = err instanceof RemoteCallError ? err.at : errorLocation(err);
  return at === undefined ? { ok: false, reason } : { ok: false, reason, at };
}

/** How a call in a plugin's thread failed: it threw, its promise rejected, or what it returned was refused there. */
export const REMOTE_FAILURES = ['threw', 'rejected', 'returned'] as const;
export type RemoteFailure = (typeof REMOTE_FAILURES)[number];

/** The start of a failed call's reason: "threw: boom", "returned too much text: ...". */
const REASON_LEAD: Record<RemoteFailure, string> = { threw: 'threw: ', rejected: 'rejected: ', returned: 'returned ' };

/**
 * The failure of a call run in a plugin's own thread: it reaches the host as a rejection,
 * but `how` keeps whether the plugin threw, its promise rejected, or its thread refused to
 * send what it returned (too large), so reports read the same as for a plugin run inline.
 */
export class RemoteCallError extends Error {
  constructor(
    message: string,
    readonly how: RemoteFailure,
    /** Where the plugin's error was made, as its thread read it from the stack. */
    readonly at?: string,
  ) {
    super(message);
    this.name = 'RemoteCallError';
  }
}

/** A one-line description of whatever a plugin threw (it need not be an Error). */
export function describeError(err: unknown): string {
  try {
    // Inside the try: a plugin's Error may have a message getter that throws, or be a Proxy.
    if (err instanceof Error) return String(err.message || err.name);
    return typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
  } catch {
    return stringOrDescription(err);
  }
}

/** String(value), or describeValue's words where String() throws too (a cyclic object without a prototype, a Proxy). */
function stringOrDescription(value: unknown): string {
  try {
    return String(value);
  } catch {
    return describeValue(value);
  }
}
