import t from 'tap';
import { validateConfig } from '../../daemon/config/load.js';
import { ConfigError } from '../../daemon/config/errors.js';

const commandSource = (backoff: Record<string, number>) => ({
  sources: [{ id: 'cam', type: 'command', command: ['ffmpeg', '-i', 'rtsp://10.0.0.5/stream'], format: { encoding: 's16le', sampleRate: 16000, channels: 1 }, backoff }],
});

function issuesOf(raw: unknown): string[] {
  try {
    validateConfig(raw, 'test.json');
  } catch (err) {
    if (err instanceof ConfigError) return err.lines();
    throw err;
  }
  return [];
}

t.test('a restart backoff that would respawn a failing command many times a second is refused', async (t) => {
  t.match(issuesOf(commandSource({ initialMs: 10 })), [/^sources\[0\]\.backoff\.initialMs: must be >= 250/]);
  t.match(issuesOf(commandSource({ maxMs: 10 })), [/^sources\[0\]\.backoff\.maxMs: must be >= 1000/]);
  t.match(issuesOf(commandSource({ resetAfterMs: 0 })), [/^sources\[0\]\.backoff\.resetAfterMs: must be >= 1000/]);
  t.same(issuesOf(commandSource({ initialMs: 250, maxMs: 1000, resetAfterMs: 1000 })), [], 'the floors themselves are allowed');
});

t.test('a backoff whose ceiling is below its first delay is refused, naming both', async (t) => {
  const lines = issuesOf(commandSource({ initialMs: 5000, maxMs: 2000 }));
  t.equal(lines.length, 1, lines.join('\n'));
  t.match(lines[0], /^sources\[0\]\.backoff\.maxMs: \(2000\) is below initialMs \(5000\)/);
  // The default maxMs (60 s) counts too: raising initialMs alone past it is caught.
  t.match(issuesOf(commandSource({ initialMs: 120_000 })), [/^sources\[0\]\.backoff\.maxMs: \(60000\) is below initialMs \(120000\)/]);
  t.same(issuesOf(commandSource({ initialMs: 2000, maxMs: 2000 })), [], 'equal is fine');
});
