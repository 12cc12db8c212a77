import { lstat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { connect } from 'node:net';
import { ConfigFileError } from './config/errors.js';
import { fileKind } from './file-kind.js';

/**
 * Whether a unix socket file is at `path` (false when nothing is). Anything else there (a
 * config file, a recording, a folder) is refused, so that a socket path set by mistake to
 * an existing file never leads the daemon to delete that file. `setting` names the config
 * key the path came from, for the error.
 */
export async function isSocketFile(path: string, setting: string): Promise<boolean> {
  let info: Stats;
  try {
    info = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ConfigFileError(`${setting}: cannot check ${path}: ${(err as Error).message}`);
  }
  if (info.isSocket()) return true;
  const kind = fileKind(info);
  throw new ConfigFileError(
    `${setting}: ${path} is ${kind}, not a unix socket; refusing to delete it to listen there. ` +
      `Set ${setting} to a free path (such as one under /run/earshot), or move that ${kind.replace(/^an? /, '')} away`,
  );
}

/**
 * Removes the socket file at `path`, if one is there, without asking whether anything
 * listens on it: for a server's own socket once it closed. Before listening, clear the path
 * with removeStaleSocket instead. Refuses anything but a socket (see isSocketFile).
 */
export async function removeSocketFile(path: string, setting: string): Promise<void> {
  if (!(await isSocketFile(path, setting))) return;
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    // Gone in between: what we wanted.
    if (err.code !== 'ENOENT') throw new ConfigFileError(`${setting}: cannot remove the stale socket ${path}: ${err.message}`);
  });
}

/** How long a probe waits for a socket to accept or refuse before taking it as served. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * Clears `path` for a server to listen there. A socket file nobody listens on (left by a
 * crash) is removed; one that something serves is refused, never deleted, since deleting it
 * would cut its owner off from every new client. `whatServes` says who that could be, for
 * the error ("another earshotd"). Anything but a socket is refused (see isSocketFile).
 */
export async function removeStaleSocket(path: string, setting: string, whatServes: string): Promise<void> {
  if (!(await isSocketFile(path, setting))) return;
  const served = await howServed(path, setting);
  if (served === null) return removeSocketFile(path, setting);
  throw new Error(`${setting}: ${whatServes} is already serving ${path} (${served}); stop it first or set ${setting} to another path`);
}

/**
 * Connects to the unix socket at `path`: null when nothing listens there (refused, or gone
 * meanwhile), else how a listener showed itself. A full backlog (EAGAIN: its process is
 * stopped or swamped) and a connect that hangs both mean one is there.
 */
function howServed(path: string, setting: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const probe = connect(path);
    const settle = (served: string | null | Error) => {
      clearTimeout(timer);
      probe.destroy();
      if (served instanceof Error) reject(served);
      else resolve(served);
    };
    const timer = setTimeout(() => settle(`it gave no answer within ${PROBE_TIMEOUT_MS} ms`), PROBE_TIMEOUT_MS);
    probe.once('connect', () => settle('it accepted a connection'));
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') settle(null);
      else if (err.code === 'EAGAIN') settle('its backlog is full, as when its process is stopped');
      // Not a config error (exit 78, never restarted): the owner may be a live daemon run by
      // another user that goes away, after which a restart finds the path free.
      else settle(new Error(`${setting}: cannot tell whether anything listens on ${path}: ${err.message}; check the permissions of the socket and its folder`));
    });
  });
}
