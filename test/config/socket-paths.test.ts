import t from 'tap';
import { validateConfig } from '../../daemon/config/load.js';
import { ConfigError } from '../../daemon/config/errors.js';

const format = { encoding: 's16le', sampleRate: 16000, channels: 1 };
const socketSource = (id: string, path: string) => ({ id, type: 'socket', path, format });

function issuesOf(raw: unknown): string[] {
  try {
    validateConfig(raw, 'test.json');
  } catch (err) {
    if (err instanceof ConfigError) return err.lines();
    throw err;
  }
  return [];
}

t.test('a socket source on the control socket path is refused, naming both settings', async (t) => {
  const lines = issuesOf({ control: { socket: '/run/earshot/control.sock' }, sources: [socketSource('mic', '/run/earshot/./control.sock')] });
  t.same(lines, [
    'sources[0].path: is the same socket as control.socket (/run/earshot/./control.sock); two listeners cannot share one socket path (hint: give sources[0].path a path of its own, such as /run/earshot/mic.sock)',
  ]);
});

t.test('the default control socket counts too', async (t) => {
  const lines = issuesOf({ sources: [socketSource('mic', '/run/earshot/control.sock')] });
  t.match(lines, [/^sources\[0\]\.path: is the same socket as control\.socket/]);
});

t.test('two sources on one socket path are refused, naming both', async (t) => {
  const lines = issuesOf({
    sources: [socketSource('a', '/run/earshot/a.sock'), { id: 'spool', type: 'spool', dir: '/var/spool/earshot' }, socketSource('b', '/run/earshot/a.sock')],
  });
  t.same(lines.length, 1);
  t.match(lines[0], /^sources\[2\]\.path: is the same socket as sources\[0\]\.path \(\/run\/earshot\/a\.sock\)/);
});

t.test('distinct socket paths and TCP sources pass', async (t) => {
  t.same(issuesOf({
    sources: [socketSource('a', '/run/earshot/a.sock'), socketSource('b', '/run/earshot/b.sock'), { id: 'tcp', type: 'socket', host: '127.0.0.1', port: 9000, format }],
  }), []);
});
