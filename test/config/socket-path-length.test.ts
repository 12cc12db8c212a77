import t from 'tap';
import { validateConfig } from '../../daemon/config/load.js';
import { ConfigError } from '../../daemon/config/errors.js';

const format = { encoding: 's16le', sampleRate: 16000, channels: 1 };

function issuesOf(raw: unknown, platform: NodeJS.Platform = 'linux'): string[] {
  try {
    validateConfig(raw, 'test.json', {}, platform);
  } catch (err) {
    if (err instanceof ConfigError) return err.lines();
    throw err;
  }
  return [];
}

/** An absolute path of exactly `bytes` bytes, ending in .sock. */
function pathOf(bytes: number, filler = 'a'): string {
  const head = '/run/';
  const fill = filler.repeat(Math.ceil((bytes - head.length - 5) / Buffer.byteLength(filler)));
  const path = `${head}${fill}.sock`;
  if (Buffer.byteLength(path) !== bytes) throw new Error(`built ${Buffer.byteLength(path)} bytes, not ${bytes}`);
  return path;
}

t.test('a control socket of 107 bytes passes on Linux; one of 108 is refused with its length, the limit and a shorter path', async (t) => {
  t.same(issuesOf({ control: { socket: pathOf(107) } }), []);
  const long = pathOf(108);
  t.same(issuesOf({ control: { socket: long } }), [
    `control.socket: is 108 bytes long (${long}); a unix socket path may have at most 107 bytes (hint: pick a shorter path, such as /run/earshot/control.sock)`,
  ]);
});

t.test('the length is counted in bytes of UTF-8, not characters', async (t) => {
  // 52 characters of 'é' are 104 bytes: 114 in all, under 107 characters.
  const path = pathOf(114, 'é');
  t.ok(path.length <= 107);
  t.match(issuesOf({ control: { socket: path } }), [/^control\.socket: is 114 bytes long/]);
});

t.test('macOS allows 103 bytes, and its default socket path passes', async (t) => {
  t.same(issuesOf({ control: { socket: pathOf(103) } }, 'darwin'), []);
  t.match(issuesOf({ control: { socket: pathOf(104) } }, 'darwin'), [/^control\.socket: is 104 bytes long .*at most 103 bytes/]);
  t.same(issuesOf({}, 'darwin'), []);
});

t.test('a socket source path is held to the same limit; a TCP source is not a path', async (t) => {
  const long = pathOf(120);
  t.same(issuesOf({ sources: [{ id: 'mic', type: 'socket', path: long, format }, { id: 'tcp', type: 'socket', host: '127.0.0.1', port: 9000, format }] }), [
    `sources[0].path: is 120 bytes long (${long}); a unix socket path may have at most 107 bytes (hint: pick a shorter path, such as /run/earshot/mic.sock)`,
  ]);
});
