import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, validateConfig } from '../../daemon/config/load.js';
import { configSchema } from '../../daemon/config/schema.js';
import { ConfigError } from '../../daemon/config/errors.js';
import { envName } from '../../daemon/config/env.js';
import { tempDir } from '../helpers/paths.js';
import { schedulerSection } from '../../daemon/scheduler/config.js';

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.lines();
    throw err;
  }
  throw new Error('expected a ConfigError');
}

t.test('an empty config takes every default from the schema', async (t) => {
  const config = loadConfig({});
  const schema = configSchema() as { properties: Record<string, { default?: unknown; properties?: Record<string, { default?: unknown }> }> };
  t.equal(config.siteId, schema.properties.siteId!.default);
  t.equal(config.control.socket, schema.properties.control!.properties!.socket!.default);
  t.equal(config.mqtt.url, null);
  t.equal(config.mqtt.embedded.port, 1883);
  t.equal(config.log.level, 'info');
});

t.test('every property in the schema has a title, a description and a default', async (t) => {
  const missing: string[] = [];
  // Inside an array item, a required key (a source's id, a window's cron) has no default by nature.
  const walk = (node: Record<string, unknown>, path: string) => {
    const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
    const required = new Set((node.required ?? []) as string[]);
    for (const [key, child] of Object.entries(props)) {
      const here = path ? `${path}.${key}` : key;
      const fields = path.endsWith('[]') && required.has(key) ? ['title', 'description'] : ['title', 'description', 'default'];
      for (const field of fields) if (!(field in child)) missing.push(`${here} lacks ${field}`);
      walk(child, here);
      if (child.items && typeof child.items === 'object') walk(child.items as Record<string, unknown>, `${here}[]`);
    }
  };
  walk(configSchema(), '');
  t.same(missing, []);
});

t.test('a wrong type and an unknown key are each reported as path: message', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ siteId: 'ok', mqtt: { embedded: { port: 'eighteen' } }, contorl: {} }));
  const lines = issuesOf(() => loadConfig({ file }));
  t.equal(lines.length, 2, lines.join('\n'));
  t.ok(lines.some((l) => l.startsWith('mqtt.embedded.port: must be integer')), lines.join('\n'));
  t.ok(lines.some((l) => l.startsWith('contorl: unknown key') && l.includes('did you mean "control"')), lines.join('\n'));
});

t.test('an unknown key that is not a plain name is quoted in its path: a dotted key is not read as the nested one, and no key adds a line or hides where the path ends', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'odd-keys.json');
  writeFileSync(file, JSON.stringify({ siteId: 'ok', 'mqtt.embedded.port': 1884, mqtt: { 'embedded.port': 1884, 'url:': null, 'user\nname: fine': 'x', 'client\u200bId': 'x' } }));
  const lines = issuesOf(() => loadConfig({ file }));
  t.same(
    lines.sort(),
    [
      '["mqtt.embedded.port"]: unknown key (hint: keys are nested, not dotted: write "mqtt": { "embedded": { "port": … } })',
      'mqtt["client\\u200bId"]: unknown key (hint: did you mean "clientId"?)',
      'mqtt["embedded.port"]: unknown key (hint: keys are nested, not dotted: write "embedded": { "port": … })',
      'mqtt["url:"]: unknown key (hint: did you mean "url"?)',
      `mqtt["user\\nname: fine"]: unknown key (hint: remove it; known keys here: ${Object.keys((configSchema() as { properties: { mqtt: { properties: object } } }).properties.mqtt.properties).join(', ')})`,
    ].sort(),
  );
  t.ok(lines.every((l) => !/\n/.test(l)), 'each problem stays on one line');
});

t.test('a file that is not JSON or not there names the file', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{ "siteId": "x", }');
  t.match(issuesOf(() => loadConfig({ file }))[0], /broken\.json: is not valid JSON/);
  t.match(issuesOf(() => loadConfig({ file: join(dir, 'nope.json') }))[0], /nope\.json: file not found/);
  const asDir = issuesOf(() => loadConfig({ file: dir }))[0];
  t.match(asDir, `${dir}: is a directory, not a file`);
  t.match(asDir, /hint: name the config file itself/);
  t.notMatch(asDir, /permissions/, 'no permissions hint for a directory');
});

t.test('EARSHOT_<PATH> environment variables override the file', async (t) => {
  t.equal(envName(['mqtt', 'embedded', 'port']), 'EARSHOT_MQTT__EMBEDDED__PORT');
  t.equal(envName(['siteId']), 'EARSHOT_SITE_ID');
  const config = loadConfig({
    env: { EARSHOT_SITE_ID: 'from-env', EARSHOT_MQTT__EMBEDDED__PORT: '1999', EARSHOT_LOG__LEVEL: 'debug', EARSHOT_CONFIG: '/ignored.json' },
  });
  t.equal(config.siteId, 'from-env');
  t.equal(config.mqtt.embedded.port, 1999);
  t.equal(config.log.level, 'debug');
  t.match(issuesOf(() => loadConfig({ env: { EARSHOT_NO_SUCH_KEY: '1' } }))[0], /^env EARSHOT_NO_SUCH_KEY: names no configuration key/);
  t.match(issuesOf(() => loadConfig({ env: { EARSHOT_MQTT__EMBEDDED__PORT: 'abc' } }))[0], /EARSHOT_MQTT__EMBEDDED__PORT: is not valid JSON/);
});

t.test('an environment value that looks like a number stays text where the field takes text', async (t) => {
  const config = loadConfig({ env: { EARSHOT_SCHEDULER__CARBON__HTTP__REGION: '13', EARSHOT_MQTT__USERNAME: '1234' } });
  t.equal(schedulerSection(config).carbon.http.region, '13');
  t.equal(config.mqtt.username, '1234');
  // JSON the field does take is still read as JSON.
  t.equal(loadConfig({ env: { EARSHOT_MQTT__USERNAME: 'null' } }).mqtt.username, null);
  t.equal(loadConfig({ env: { EARSHOT_MQTT__USERNAME: '"quoted"' } }).mqtt.username, 'quoted');
  t.match(issuesOf(() => loadConfig({ env: { EARSHOT_MQTT__EMBEDDED__PORT: '"1883"' } }))[0], /mqtt\.embedded\.port: must be integer/, 'a number field still refuses text');
});

t.test('loading does not modify the caller\'s object', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ siteId: 'a' }));
  const a = loadConfig({ file });
  const b = loadConfig({ file });
  a.control.socket = '/changed';
  t.not(b.control.socket, '/changed');
});

t.test('two sources with one id are refused at load (and so by earshotd --check), naming both', async (t) => {
  const format = { encoding: 's16le', sampleRate: 16000, channels: 1 };
  const lines = issuesOf(() =>
    validateConfig({ sources: [{ id: 'mic', type: 'socket', path: '/run/earshot/a.sock', format }, { id: 'spool', type: 'spool', dir: '/var/spool/earshot' }, { id: 'mic', type: 'command', command: ['arecord'], format }] }, 'dup.json'),
  );
  t.same(lines, ['sources[2].id: "mic" is also the id of sources[0] (hint: give every source an id of its own)']);
});

t.test('mqtt.hermes.sources must name live sources: an unknown id or a spool folder is refused at load, the live ids in the hint', async (t) => {
  const format = { encoding: 's16le', sampleRate: 16000, channels: 1 };
  const sources = [{ id: 'mic', type: 'socket', path: '/run/earshot/a.sock', format }, { id: 'inbox', type: 'spool', dir: '/var/spool/earshot' }];
  const lines = issuesOf(() => validateConfig({ sources, mqtt: { hermes: { enabled: true, sources: ['mic', 'mik', 'inbox'] } } }, 'hermes.json'));
  t.same(lines, [
    'mqtt.hermes.sources[1]: no source has the id "mik" (hint: the live sources are "mic")',
    'mqtt.hermes.sources[2]: "inbox" is a spool folder: its recordings never answer a listening session (hint: the live sources are "mic")',
  ]);
  t.doesNotThrow(() => validateConfig({ sources, mqtt: { hermes: { enabled: true, sources: ['mic'] } } }, 'ok.json'));
});

t.test("a live source's maxQueuedSegments comes from the schema when not set, and must be at least 1; a spool source takes none", async (t) => {
  const format = { encoding: 's16le', sampleRate: 16000, channels: 1 };
  const config = validateConfig({ sources: [{ id: 'mic', type: 'socket', path: '/run/earshot/mic.sock', format }, { id: 'cam', type: 'command', command: ['arecord'], format, maxQueuedSegments: 500 }] }, 'live.json');
  t.match(config.sources, [{ id: 'mic', maxQueuedSegments: 32 }, { id: 'cam', maxQueuedSegments: 500 }]);
  t.same(issuesOf(() => validateConfig({ sources: [{ id: 'mic', type: 'socket', path: '/run/earshot/mic.sock', format, maxQueuedSegments: 0 }] }, 'zero.json')), ['sources[0].maxQueuedSegments: must be >= 1 (hint: backlog limit, default 32)']);
  t.same(issuesOf(() => validateConfig({ sources: [{ id: 'inbox', type: 'spool', dir: '/var/spool/earshot', maxQueuedSegments: 4 }] }, 'spool.json')), ['sources[0].maxQueuedSegments: unknown key (hint: remove it; known keys here: id, type, dir, settleMs, pollMs, requireMount, keepDoneDays, keepFailedDays, raw, channel)']);
});

t.test('a spool source keeps done/ and failed/ for ever unless keepDoneDays / keepFailedDays say how many days; at least 1, spool sources only', async (t) => {
  const config = validateConfig({ sources: [{ id: 'inbox', type: 'spool', dir: '/var/spool/earshot' }, { id: 'desk', type: 'spool', dir: '/srv/desk', keepDoneDays: 30, keepFailedDays: 90 }] }, 'spool.json');
  t.match(config.sources, [{ id: 'inbox', keepDoneDays: null, keepFailedDays: null }, { id: 'desk', keepDoneDays: 30, keepFailedDays: 90 }]);
  t.match(issuesOf(() => validateConfig({ sources: [{ id: 'inbox', type: 'spool', dir: '/var/spool/earshot', keepDoneDays: 0, keepFailedDays: 1.5 }] }, 'bad.json')), [/^sources\[0\]\.keepDoneDays: must be >= 1/, /^sources\[0\]\.keepFailedDays: must be (integer|null)/]);
  const format = { encoding: 's16le', sampleRate: 16000, channels: 1 };
  t.match(issuesOf(() => validateConfig({ sources: [{ id: 'mic', type: 'socket', path: '/run/earshot/mic.sock', format, keepDoneDays: 30 }] }, 'live.json')), [/^sources\[0\]\.keepDoneDays: unknown key/]);
});

t.test('on macOS the paths systemd makes on Linux are replaced by ones that can be made there, unless named', async (t) => {
  const mac = validateConfig({ siteId: 'mini' }, 'test', {}, 'darwin');
  t.equal(mac.dataDir, '/Library/Application Support/Earshot', 'no StateDirectory, read-only system volume');
  t.equal(mac.control.socket, '/var/run/earshot/control.sock', 'no /run');
  const linux = validateConfig({ siteId: 'pi' }, 'test', {}, 'linux');
  t.same([linux.dataDir, linux.control.socket], ['/var/lib/earshot', '/run/earshot/control.sock'], 'Linux keeps the schema\'s');
  const named = validateConfig({ siteId: 'mini', dataDir: '/Users/shared/earshot', control: { socket: '/tmp/e.sock' } }, 'test', {}, 'darwin');
  t.same([named.dataDir, named.control.socket], ['/Users/shared/earshot', '/tmp/e.sock'], 'named paths are kept');
  const fromEnv = validateConfig({ siteId: 'mini' }, 'test', { EARSHOT_DATA_DIR: '/opt/earshot' }, 'darwin');
  t.same([fromEnv.dataDir, fromEnv.control.socket], ['/opt/earshot', '/var/run/earshot/control.sock'], 'so are paths from the environment');
});
