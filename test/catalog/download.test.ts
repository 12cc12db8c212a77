import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { loadCatalog } from '../../daemon/catalog/catalog.js';
import { downloadFile, sizeLimit } from '../../daemon/catalog/download.js';
import { installModel } from '../../daemon/catalog/install.js';
import { tempDir } from '../helpers/paths.js';
import { SmallDisk } from '../helpers/small-disk.js';
import { makePack, sha256, writeCatalog } from './packs.js';

interface Listening {
  origin: string;
  close: () => Promise<void>;
}

/** A real HTTP server on 127.0.0.1; close() also cuts the connections a test left hanging. */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Served {
  url: string;
  ranges: (string | undefined)[];
  close: () => Promise<void>;
}

/**
 * Serves one archive behind a redirect (as GitHub release assets are); the first full
 * response may be cut off half way (`dropped`) or stop sending half way (`stalled`).
 */
async function serve(body: Buffer, name: string, first: 'whole' | 'dropped' | 'stalled'): Promise<Served> {
  const ranges: (string | undefined)[] = [];
  let cutShort = false;
  const server = await listen((req, res) => {
    if (req.url === `/releases/${name}`) {
      res.writeHead(302, { location: `/objects/${name}` }).end();
      return;
    }
    ranges.push(req.headers.range);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      const start = Number(m[1]);
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    if (first !== 'whole' && !cutShort) {
      cutShort = true;
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
        if (first === 'dropped') setTimeout(() => res.destroy(), 50);
      });
      return;
    }
    res.end(body);
  });
  return { url: `${server.origin}/releases/${name}`, ranges, close: server.close };
}

t.test('install NAME downloads with progress, resumes after a dropped connection, verifies sha256', async (t) => {
  const dir = tempDir();
  const archive = makePack('net-nemo', dir);
  const body = readFileSync(archive);
  const server = await serve(body, 'net-nemo.tar.bz2', 'dropped');
  t.teardown(server.close);
  const catalog = loadCatalog(writeCatalog(dir, { name: 'net-nemo', url: server.url, archive: 'net-nemo.tar.bz2', sha256: sha256(archive), sizeBytes: body.length }));
  const modelsDir = join(dir, 'models');

  const progress: number[] = [];
  await t.rejects(installModel({ source: 'net-nemo', modelsDir, catalog, onProgress: (p) => progress.push(p.received) }), /connection (closed|lost) after \d+ bytes; run the install again to resume/);
  t.notOk(existsSync(join(modelsDir, 'net-nemo')), 'nothing installed');
  const part = join(modelsDir, '.downloads', 'net-nemo.tar.bz2.part');
  t.ok(existsSync(part), 'the partial download is kept for resuming');
  const have = readFileSync(part).length;
  t.ok(have > 0 && have < body.length);

  const resumed: { received: number; resumedFrom: number; total: number | null }[] = [];
  const result = await installModel({ source: 'net-nemo', modelsDir, catalog, onProgress: (p) => resumed.push(p) });
  t.same(server.ranges, [undefined, `bytes=${have}-`], 'second request asks only for the missing bytes');
  t.equal(resumed.at(-1)!.received, body.length);
  t.equal(resumed.at(-1)!.total, body.length);
  t.equal(resumed[0]!.resumedFrom, have);
  t.ok(progress.length > 0, 'progress reported during the first attempt');
  t.equal(result.from, server.url);
  t.same(readdirSync(modelsDir).sort(), ['.downloads', 'net-nemo']);
  t.same(readdirSync(join(modelsDir, '.downloads')), [], 'the downloaded archive is deleted once installed');
  const model = await loadModel(result.dir);
  await model.release();
});

t.test('a download whose sha256 does not match the catalog is deleted and nothing installed', async (t) => {
  const dir = tempDir();
  const archive = makePack('bad-nemo', dir);
  const server = await serve(readFileSync(archive), 'bad-nemo.tar.bz2', 'whole');
  t.teardown(server.close);
  const catalog = loadCatalog(writeCatalog(dir, { name: 'bad-nemo', url: server.url, archive: 'bad-nemo.tar.bz2', sha256: '0'.repeat(64) }));
  const modelsDir = join(dir, 'models');
  await t.rejects(installModel({ source: 'bad-nemo', modelsDir, catalog }), /downloaded file has sha256 [0-9a-f]{64}, the catalog expects 0{64}; the download was deleted/);
  t.same(readdirSync(join(modelsDir, '.downloads')), []);
  t.notOk(existsSync(join(modelsDir, 'bad-nemo')));
});

t.test('an unreachable server fails with the URL and a hint', async (t) => {
  const dir = tempDir();
  const catalog = loadCatalog(writeCatalog(dir, { name: 'x', url: 'http://127.0.0.1:9/x.tar.bz2', archive: 'x.tar.bz2', sha256: '0'.repeat(64) }));
  await t.rejects(installModel({ source: 'x', modelsDir: join(dir, 'models'), catalog }), /http:\/\/127\.0\.0\.1:9\/x\.tar\.bz2: .*ECONNREFUSED.*; check that the box is online, or install from a local archive/);
});

/** Answers 200 with a chunked body that never ends: a broken or hostile mirror. */
function endlessBody(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200);
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

t.test('an endless body is cut off just past the catalog size and the .part deleted', async (t) => {
  const dir = tempDir();
  const server = await listen(endlessBody);
  t.teardown(server.close);
  const catalog = loadCatalog(writeCatalog(dir, { name: 'endless', url: `${server.origin}/endless.tar.bz2`, archive: 'endless.tar.bz2', sha256: '0'.repeat(64), sizeBytes: 10_000 }));
  const modelsDir = join(dir, 'models');
  const limit = sizeLimit(10_000);
  await t.rejects(
    installModel({ source: 'endless', modelsDir, catalog }),
    new RegExp(`^'endless': http://127\\.0\\.0\\.1:\\d+/endless\\.tar\\.bz2: the server sent more than ${limit} bytes \\(the catalog's sizeBytes 10000 allows at most ${limit}\\); the download was stopped and .*endless\\.tar\\.bz2\\.part deleted`),
  );
  t.ok(limit > 10_000 && limit < 2 * 1024 * 1024, 'modest slack');
  t.same(readdirSync(join(modelsDir, '.downloads')), [], 'no partial download left to fill the disk');
});

t.test('a Content-Length far beyond the catalog size is refused before downloading', async (t) => {
  const dir = tempDir();
  let served = 0;
  const server = await listen((_req, res) => {
    served++;
    res.writeHead(200, { 'content-length': 50 * 1024 * 1024 });
    res.write(Buffer.alloc(1024));
  });
  t.teardown(server.close);
  const catalog = loadCatalog(writeCatalog(dir, { name: 'huge', url: `${server.origin}/huge.tar.bz2`, archive: 'huge.tar.bz2', sha256: '0'.repeat(64), sizeBytes: 10_000 }));
  const modelsDir = join(dir, 'models');
  await t.rejects(installModel({ source: 'huge', modelsDir, catalog }), /^'huge': http:.*: the server announces 52428800 bytes but the catalog's sizeBytes 10000 allows at most \d+; nothing was downloaded/);
  t.equal(served, 1);
  t.same(readdirSync(join(modelsDir, '.downloads')), []);
});

t.test('a full disk stops the download with the place and the size, and frees what it wrote', async (t) => {
  const disk = new SmallDisk(256 * 1024).mount();
  t.teardown(() => disk.unmount());
  const dir = tempDir();
  const body = randomBytes(1024 * 1024);
  writeFileSync(join(dir, 'big.tar.bz2'), body);
  const server = await listen((_req, res) => {
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  t.teardown(server.close);
  const catalog = loadCatalog(writeCatalog(dir, { name: 'big', url: `${server.origin}/big.tar.bz2`, archive: 'big.tar.bz2', sha256: sha256(join(dir, 'big.tar.bz2')), sizeBytes: body.length }));
  const modelsDir = join(disk.dir, 'models');
  const part = join(modelsDir, '.downloads', 'big.tar.bz2.part');
  await t.rejects(installModel({ source: 'big', modelsDir, catalog }), {
    message: new RegExp(
      `^'big': ${part.replace(/[.]/g, '\\.')}: the disk is full \\(ENOSPC\\) after \\d+ bytes of http://.*/big\\.tar\\.bz2; the partial download was deleted\\. Free space on the filesystem of ${dirname(part).replace(/[.]/g, '\\.')} \\(the whole file is ${body.length} bytes\\) and run the install again$`,
    ),
  });
  t.notOk(existsSync(part), 'the .part is deleted');
  t.ok(statfsSync(disk.dir).bfree * statfsSync(disk.dir).bsize > 200 * 1024, 'the space is free again');
});

t.test('a server that stops sending is given up after the idle timeout, keeping the .part to resume', async (t) => {
  t.setTimeout(20_000);
  const dir = tempDir();
  const archive = makePack('slow-nemo', dir);
  const body = readFileSync(archive);
  const server = await serve(body, 'slow-nemo.tar.bz2', 'stalled');
  t.teardown(server.close);
  const dest = join(dir, 'slow-nemo.tar.bz2');
  const options = { expectedSha256: sha256(archive), sizeHint: body.length, idleTimeoutMs: 300 };
  await t.rejects(
    downloadFile(server.url, dest, options),
    new RegExp(`/releases/slow-nemo\\.tar\\.bz2: no data for 0\\.3 s after ${Math.floor(body.length / 2)} bytes; the partial download is kept in .*slow-nemo\\.tar\\.bz2\\.part, run the install again to resume`),
  );
  t.equal(readFileSync(`${dest}.part`).length, Math.floor(body.length / 2), 'what arrived is kept');
  t.equal(await downloadFile(server.url, dest, options), dest);
  t.same(server.ranges, [undefined, `bytes=${Math.floor(body.length / 2)}-`], 'the second run resumed');
  t.equal(sha256(dest), sha256(archive));
});

t.test('a server that never answers is given up after the idle timeout', async (t) => {
  t.setTimeout(20_000);
  const dir = tempDir();
  const server = await listen(() => undefined);
  t.teardown(server.close);
  await t.rejects(
    downloadFile(`${server.origin}/mute.tar.bz2`, join(dir, 'mute.tar.bz2'), { expectedSha256: '0'.repeat(64), idleTimeoutMs: 300 }),
    /\/mute\.tar\.bz2: no response within 0\.3 s; check that the box is online/,
  );
  t.notOk(existsSync(join(dir, 'mute.tar.bz2.part')));
});
