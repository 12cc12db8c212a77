import t from 'tap';
import { newPartialTextState, partialText } from '../../daemon/pipeline/partial-text.js';
import { startSandboxHost } from './sandbox.js';

/**
 * A plugin's failures on live partials are counted apart from its failures on finals: a
 * partial it fails on is withheld, but partials (unfinished phrases, several a second) never
 * set it aside for the finals it handles, and a success on one does not hide failures on
 * finals. Real host, real plugin package (redact-gate, which fails on more than N words).
 */

const GATE = 'earshot-plugin-redact-gate';

async function gateHost(t: Parameters<typeof startSandboxHost>[0]) {
  const { host, sb } = await startSandboxHost(t, ['redact-gate'], {
    timeouts: { 'redact-gate': 2000 },
    config: { 'redact-gate': { failOnWordsOver: 3 }, shout: { words: ['acme'] } },
  });
  return { host, sb, gate: () => host.list().find((p) => p.name === GATE)! };
}

t.test('failures on partials withhold them, but do not set the plugin aside', async (t) => {
  const { host, sb, gate } = await gateHost(t);
  const state = newPartialTextState();
  for (let i = 0; i < 5; i++) {
    const out = await partialText(host, { text: `one two three four ${'five '.repeat(i)}`.trim(), stable: '' }, state, { language: 'en' });
    t.match(out, { ok: false, reason: /redact-gate: threw: cannot redact \d+ words at once/ }, `partial ${i} is withheld`);
  }
  t.match(gate(), { state: 'running', failures: 0, consecutiveFailures: 0, partialFailures: 5 }, 'five failed partials, with maxFailures 2: still running');
  t.notMatch(sb.lines.join('\n'), /WARN +earshot:plugins:redact-gate/, 'no WARN per partial from the host (the partial publisher logs withheld partials, throttled)');

  const final = await host.process({ text: 'call me maybe', language: 'en' });
  t.ok(final.applied.includes(GATE), 'the final it can handle is redacted');
  t.equal(final.text, '[redacted] [redacted] [redacted]');
});

t.test('a success on a partial does not reset the failures in a row on finals', async (t) => {
  const { host, gate } = await gateHost(t);
  await host.process({ text: 'one two three four', language: 'en' });
  t.match(gate(), { state: 'running', consecutiveFailures: 1 });
  const ok = await partialText(host, { text: 'one', stable: '' }, newPartialTextState(), { language: 'en' });
  t.match(ok, { ok: true, text: '[redacted]' });
  t.match(gate(), { consecutiveFailures: 1, calls: 1 }, 'the partial counts as a call, not as a mended plugin');
  await host.process({ text: 'one two three four', language: 'en' });
  t.match(gate(), { state: 'failed', consecutiveFailures: 2, failures: 2, partialFailures: 0 }, 'two finals failed in a row: set aside');
});
