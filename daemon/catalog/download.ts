/**
 * HTTP(S) download into `<dest>.part` with resume (RFC 9110 Range requests) and sha256
 * verification; the finished file is renamed to `dest` only once its digest matches, so a
 * half-downloaded or corrupt archive never sits under the final name.
 */
import { createWriteStream, existsSync, renameSync, statSync, unlinkSync } from 'node:fs';
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
  /** Size from the catalog, used when the server does not say. */
  sizeHint?: number;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Redirects to follow (GitHub release assets redirect once or twice). */
  maxRedirects?: number;
}

function request(url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, signal }, resolve);
    req.on('error', reject);
  });
}

async function open(url: string, offset: number, options: DownloadOptions): Promise<IncomingMessage> {
  let current = url;
  for (let hop = 0; hop <= (options.maxRedirects ?? 5); hop++) {
    const headers: Record<string, string> = { 'user-agent': 'earshot-model-install' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    let res: IncomingMessage;
    try {
      res = await request(current, headers, options.signal);
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

/** Downloads url to dest (resuming dest.part), verifies sha256, returns dest. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions): Promise<string> {
  const part = `${dest}.part`;
  let offset = existsSync(part) ? statSync(part).size : 0;
  const res = await open(url, offset, options);
  const status = res.statusCode ?? 0;
  if (status === 416 && offset > 0) {
    // The part file already holds the whole body (or more): let the digest decide.
    res.resume();
  } else if (status === 200 || status === 206) {
    if (status === 200) offset = 0; // server ignored Range: start over
    const length = Number(res.headers['content-length'] ?? NaN);
    const total = Number.isFinite(length) ? offset + length : (options.sizeHint ?? null);
    const out = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
    let received = offset;
    const resumedFrom = offset;
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      // Flush what arrived before failing: the next run resumes from it.
      const fail = (err: Error): void => {
        if (failed) return;
        failed = true;
        res.unpipe(out);
        out.end(() => reject(err));
      };
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        options.onProgress?.({ received, total, resumedFrom });
      });
      res.on('error', () => fail(new Error(`${url}: connection lost after ${received} bytes; run the install again to resume`)));
      res.on('aborted', () => fail(new Error(`${url}: connection closed after ${received} bytes; run the install again to resume`)));
      out.on('error', (err) => {
        failed = true;
        reject(err);
      });
      out.on('finish', () => {
        if (!failed) resolve();
      });
      res.pipe(out);
    });
    if (total !== null && Number.isFinite(length) && received < total) {
      throw new Error(`${url}: got ${received} of ${total} bytes; run the install again to resume`);
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
