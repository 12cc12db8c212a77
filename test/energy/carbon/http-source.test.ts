import t from 'tap';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { repoRoot } from '../../helpers/paths.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { createCarbonSource, type CarbonConfig } from '../../../daemon/energy/carbon/create-source.js';
import { HttpCarbonSource } from '../../../daemon/energy/carbon/http-source.js';
import { UkGridProvider } from '../../../daemon/energy/carbon/providers.js';

// Read from the source tree: the compiled tests in dist/ have no copies of these JSON files.
const fixtures = join(repoRoot, 'test', 'energy', 'carbon', 'fixtures');
const body = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
const NOW = Date.parse('2026-11-25T06:10:00Z');

type Handler = (url: string, headers: Record<string, string | string[] | undefined>) => { status: number; body: string } | 'hang';

async function serve(t: { teardown(fn: () => void): void }, handler: Handler): Promise<{ base: string; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const out = handler(req.url ?? '', req.headers);
    if (out === 'hang') return; // never answer: the client must time out
    res.writeHead(out.status, { 'content-type': 'application/json' });
    res.end(out.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function config(over: Partial<CarbonConfig> & { http: CarbonConfig['http'] }): CarbonConfig {
  return { source: 'uk-grid', staticGPerKWh: 250, schedule: [], scheduleUtc: true, file: null, mqttTopic: 'site/carbon', mqttKeyFile: null, refreshMinutes: 30, maxAgeMinutes: 90, ...over };
}

t.test('UK National Grid: current value and 48 h forecast from a loopback server', async (t) => {
  const { base, requests } = await serve(t, (url) => (url === '/intensity' ? { status: 200, body: body('uk-intensity.json') } : url.startsWith('/intensity/2026-11-25T06:10Z/fw48h') ? { status: 200, body: body('uk-fw48h.json') } : { status: 404, body: '{}' }));
  const src = new HttpCarbonSource({ provider: new UkGridProvider(base), staticDefault: 250, refreshMs: 3600e3, timeoutMs: 2000, maxAgeMs: 90 * 60e3, logger: silentLogger, clock: () => NOW });
  await src.start();
  t.teardown(() => src.stop());
  t.same(requests, ['/intensity', '/intensity/2026-11-25T06:10Z/fw48h']);
  const r = src.current(NOW);
  t.equal(r.gPerKWh, 182);
  t.equal(r.status, 'live');
  t.equal(r.source, 'uk-grid');
  const fc = src.forecast(NOW, 12 * 3600e3);
  t.equal(fc.length, 24);
  t.equal(Math.min(...fc.map((p) => p.gPerKWh)), 89);
});

t.test('Electricity Maps: token header, latest and forecast', async (t) => {
  const seen: Array<string | undefined> = [];
  const { base } = await serve(t, (url, headers) => {
    seen.push(headers['auth-token'] as string | undefined);
    if (headers['auth-token'] !== 'secret-token') return { status: 401, body: '{"error":"unauthorized"}' };
    if (url === '/v3/carbon-intensity/latest?zone=DE') return { status: 200, body: body('em-latest.json') };
    if (url === '/v3/carbon-intensity/forecast?zone=DE') return { status: 200, body: body('em-forecast.json') };
    return { status: 404, body: '{}' };
  });
  const src = createCarbonSource(config({ source: 'electricity-maps', http: { region: 'DE', token: 'secret-token', baseUrl: base, timeoutMs: 2000 } }), { logger: silentLogger });
  await src.start();
  t.teardown(() => src.stop());
  t.same(seen, ['secret-token', 'secret-token']);
  // 06:10 lies in the forecast hour starting 06:00 (412).
  t.equal(src.current(NOW).gPerKWh, 412);
  const fc = src.forecast(NOW, 12 * 3600e3);
  t.equal(fc[0]?.toMs, Date.parse('2026-11-25T07:00:00Z'));
  t.equal(Math.min(...fc.map((p) => p.gPerKWh)), 265);
});

t.test('wrong token → static default with the HTTP status and a hint', async (t) => {
  const { base } = await serve(t, () => ({ status: 401, body: '{"error":"unauthorized"}' }));
  const src = createCarbonSource(config({ source: 'electricity-maps', http: { region: 'DE', token: 'wrong', baseUrl: base, timeoutMs: 2000 } }), { logger: silentLogger });
  await src.start();
  t.teardown(() => src.stop());
  const r = src.current(Date.now());
  t.equal(r.status, 'static-default');
  t.equal(r.gPerKWh, 250);
  t.match(r.note, /HTTP 401.*token/);
});

t.test('timeout, bad payload and staleness keep the last good value and say so', async (t) => {
  let mode: 'good' | 'hang' | 'garbage' | 'wrong-shape' = 'good';
  const { base } = await serve(t, (url) => {
    if (mode === 'hang') return 'hang';
    if (mode === 'garbage') return { status: 200, body: '<html>maintenance</html>' };
    if (mode === 'wrong-shape') return { status: 200, body: '{"data":[{"from":"2026-11-25T06:00Z","intensity":{}}]}' };
    return url === '/intensity' ? { status: 200, body: body('uk-intensity.json') } : { status: 500, body: '{}' };
  });
  let now = NOW;
  const src = new HttpCarbonSource({ provider: new UkGridProvider(base), staticDefault: 250, refreshMs: 3600e3, timeoutMs: 300, maxAgeMs: 60 * 60e3, logger: silentLogger, clock: () => now });
  await src.start();
  t.teardown(() => src.stop());
  t.same([src.current(now).gPerKWh, src.current(now).status], [182, 'live'], 'forecast 500 alone does not lose the current value');

  mode = 'hang';
  await src.refresh();
  let r = src.current(now);
  t.same([r.gPerKWh, r.status], [182, 'last-good']);
  t.match(r.note, /timed out after 300 ms/);

  mode = 'garbage';
  await src.refresh();
  t.match(src.current(now).note, /not JSON/);

  mode = 'wrong-shape';
  await src.refresh();
  r = src.current(now);
  t.equal(r.gPerKWh, 182);
  t.match(r.note, /lacks from\/to or a numeric intensity/);

  now += 2 * 3600e3;
  r = src.current(now);
  t.equal(r.status, 'last-good');
  t.match(r.note, /stale: no update for 120 min/);
});

t.test('config errors name the key and the fix', async (t) => {
  t.throws(() => createCarbonSource(config({ source: 'electricity-maps', http: { region: 'DE', token: null, baseUrl: null, timeoutMs: 1 } }), { logger: silentLogger }), /scheduler\.carbon\.http\.token/);
  t.throws(() => createCarbonSource(config({ source: 'uk-grid', http: { region: '42', token: null, baseUrl: null, timeoutMs: 1 } }), { logger: silentLogger }), /ids 1–17/);
  t.throws(() => createCarbonSource(config({ source: 'mqtt', http: { region: null, token: null, baseUrl: null, timeoutMs: 1 } }), { logger: silentLogger }), /mqtt/);
});
