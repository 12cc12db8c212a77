import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { loadCatalog } from '../../daemon/catalog/catalog.js';
import { installModel } from '../../daemon/catalog/install.js';
import { tempDir } from '../helpers/paths.js';
import { makePack, sha256, writeCatalog } from './packs.js';

interface Served {
  url: string;
  ranges: (string | undefined)[];
  close: () => Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 serving one archive behind a redirect (as GitHub release
 * assets are); with `dropFirst` the first full response is cut off half way.
 */
async function serve(body: Buffer, name: string, dropFirst: boolean): Promise<Served> {
  const ranges: (string | undefined)[] = [];
  let dropped = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
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
    if (dropFirst && !dropped) {
      dropped = true;
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.destroy(), 50));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/releases/${name}`, ranges, close: () => new Promise((r) => server.close(() => r())) };
}

t.test('install NAME downloads with progress, resumes after a dropped connection, verifies sha256', async (t) => {
  const dir = tempDir();
  const archive = makePack('net-nemo', dir);
  const body = readFileSync(archive);
  const server = await serve(body, 'net-nemo.tar.bz2', true);
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
  const server = await serve(readFileSync(archive), 'bad-nemo.tar.bz2', false);
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
