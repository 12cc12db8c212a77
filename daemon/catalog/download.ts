/**
 * HTTP(S) download into `<dest>.part` with resume (RFC 9110 Range requests) and sha256
 * verification; the finished file is renamed to `dest` only once its digest matches, so a
 * half-downloaded or corrupt archive never sits under the final name.
 */
import { createWriteStream, existsSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { sha256File } from '../asr/models/card.js';

export interface DownloadProgress {
  received: number;
  /** Total bytes when known (Content-Length / Content-Range, else the catalog size). */
  total: number | null;
  resumedFrom: number;
}

export interface DownloadOptions {
  expectedSha256: string;
  /** Size from the catalog: the total when the server does not say, and a cap on the body (sizeLimit). */
  sizeHint?: number;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Redirects to follow (GitHub release assets redirect once or twice). */
  maxRedirects?: number;
  /** How long the server may send nothing (no response, or a stalled body) before giving up; default 60 s. */
  idleTimeoutMs?: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

function request(url: string, headers: Record<string, string>, signal: AbortSignal | undefined, idleMs: number): Promise<IncomingMessage> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, signal }, (res) => {
      // the body has its own idle watch (receive), which knows how far it got
      req.setTimeout(0);
      resolve(res);
    });
    req.setTimeout(idleMs, () => req.destroy(new Error(`no response within ${seconds(idleMs)}`)));
    req.on('error', reject);
  });
}

async function open(url: string, offset: number, options: DownloadOptions, idleMs: number): Promise<IncomingMessage> {
  let current = url;
  for (let hop = 0; hop <= (options.maxRedirects ?? 5); hop++) {
    const headers: Record<string, string> = { 'user-agent': 'earshot-model-install' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    let res: IncomingMessage;
    try {
      res = await request(current, headers, options.signal, idleMs);
    } catch (err) {
      throw new Error(`${current}: ${(err as Error).message}; check that the box is online, or install from a local archive (earshot model install ./PACK.tar.bz2)`);
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      current = new URL(res.headers.location, current).toString();
      continue;
    }
    return res;
  }
  throw new Error(`${url}: more than ${options.maxRedirects ?? 5} redirects`);
}

/**
 * The most bytes a body may have when the catalog gives its size. Catalog sizes are exact;
 * the slack only forgives a hand-written catalog that rounded. Without it a server sending
 * an endless body would fill the disk.
 */
export function sizeLimit(sizeHint: number | undefined): number {
  return sizeHint === undefined ? Infinity : Math.ceil(sizeHint * 1.05) + 1024 * 1024;
}

interface Body {
  url: string;
  part: string;
  offset: number;
  total: number | null;
  /** Bytes the whole file may have, and why, for the error when a server sends more. */
  limit: { bytes: number; why: string };
  idleMs: number;
  onProgress?: (p: DownloadProgress) => void;
}

function writeError(body: Body, received: number, err: NodeJS.ErrnoException): Error {
  if (err.code === 'ENOSPC') {
    const need = body.total === null ? '' : ` (the whole file is ${body.total} bytes)`;
    return new Error(
      `${body.part}: the disk is full (ENOSPC) after ${received} bytes of ${body.url}; the partial download was deleted. Free space on the filesystem of ${dirname(body.part)}${need} and run the install again`,
    );
  }
  return new Error(`${body.part}: cannot write the download (${err.code ?? err.message}); check that the models directory is writable`);
}

/** Appends res to body.part; resolves with the bytes the file then holds. */
function receive(res: IncomingMessage, body: Body): Promise<number> {
  const { url, part, offset, total, limit, idleMs } = body;
  const out = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
  let received = offset;
  return new Promise<number>((resolve, reject) => {
    let failed = false;
    // What arrived before a dropped connection is flushed and kept: the next run resumes from
    // it. What cannot be resumed (too much data, a full disk) is deleted.
    const stop = (err: Error, keepPart: boolean): void => {
      if (failed) return;
      failed = true;
      clearTimeout(idle);
      res.unpipe(out);
      res.destroy();
      if (keepPart) {
        out.end(() => reject(err));
        return;
      }
      const discard = (): void => {
        rmSync(part, { force: true });
        reject(err);
      };
      out.destroy();
      if (out.closed) discard();
      else out.once('close', discard);
    };
    // A server that stops sending without closing would otherwise hold the install forever.
    const idle = setTimeout(() => {
      stop(new Error(`${url}: no data for ${seconds(idleMs)} after ${received} bytes; the partial download is kept in ${part}, run the install again to resume`), true);
    }, idleMs);
    res.on('data', (chunk: Buffer) => {
      idle.refresh();
      received += chunk.length;
      if (received > limit.bytes) {
        stop(new Error(`${url}: the server sent more than ${limit.bytes} bytes (${limit.why}); the download was stopped and ${part} deleted. Check the pack's url and sizeBytes in the catalog`), false);
        return;
      }
      body.onProgress?.({ received, total, resumedFrom: offset });
    });
    res.on('error', () => stop(new Error(`${url}: connection lost after ${received} bytes; run the install again to resume`), true));
    res.on('aborted', () => stop(new Error(`${url}: connection closed after ${received} bytes; run the install again to resume`), true));
    out.on('error', (err: NodeJS.ErrnoException) => stop(writeError(body, received, err), err.code !== 'ENOSPC'));
    out.on('finish', () => {
      clearTimeout(idle);
      if (!failed) resolve(received);
    });
    res.pipe(out);
  });
}

/** Downloads url to dest (resuming dest.part), verifies sha256, returns dest. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions): Promise<string> {
  const part = `${dest}.part`;
  let offset = existsSync(part) ? statSync(part).size : 0;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const res = await open(url, offset, options, idleMs);
  const status = res.statusCode ?? 0;
  if (status === 416 && offset > 0) {
    // The part file already holds the whole body (or more): let the digest decide.
    res.resume();
  } else if (status === 200 || status === 206) {
    if (status === 200) offset = 0; // server ignored Range: start over
    const length = Number(res.headers['content-length'] ?? NaN);
    const announced = Number.isFinite(length) ? offset + length : null;
    const allowed = sizeLimit(options.sizeHint);
    const catalogSays = `the catalog's sizeBytes ${options.sizeHint} allows at most ${allowed}`;
    if (announced !== null && announced > allowed) {
      res.destroy();
      throw new Error(`${url}: the server announces ${announced} bytes but ${catalogSays}; nothing was downloaded. Check the pack's url and sizeBytes in the catalog`);
    }
    const total = announced ?? options.sizeHint ?? null;
    const limit = announced !== null ? { bytes: announced, why: 'its Content-Length' } : { bytes: allowed, why: catalogSays };
    const received = await receive(res, { url, part, offset, total, limit, idleMs, onProgress: options.onProgress });
    if (announced !== null && received < announced) {
      throw new Error(`${url}: got ${received} of ${announced} bytes; run the install again to resume`);
    }
  } else {
    res.resume();
    throw new Error(`${url}: HTTP ${status}; check the URL in the catalog or that the box is online`);
  }
  const digest = await sha256File(part);
  if (digest !== options.expectedSha256) {
    // A resumed file that does not match cannot be repaired by resuming again.
    unlinkSync(part);
    throw new Error(`${url}: downloaded file has sha256 ${digest}, the catalog expects ${options.expectedSha256}; the download was deleted, try again or check the catalog entry`);
  }
  renameSync(part, dest);
  return dest;
}
