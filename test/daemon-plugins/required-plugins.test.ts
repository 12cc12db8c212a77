import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { newPartialTextState, partialText } from '../../daemon/pipeline/partial-text.js';
import { startSandboxHost } from './sandbox.js';

/**
 * plugins.required on a real host over real plugin packages: a transcript that a required
 * plugin did not run on says so (`requiredMissing`), whatever kept the plugin from it — a
 * failed call, being set aside, disabled, not installed — and the host says why jobs wait.
 * A plugin not required that fails is only skipped, as before.
 */

const REDACT = 'earshot-plugin-redact-gate';

/** A host running redact-gate (required), which fails while `failFlag` exists, beside `extra` plugins. */
async function gatedHost(t: Parameters<typeof startSandboxHost>[0], extra: string[] = []) {
  const failFlag = join(tempDir('earshot-redact-'), 'rules-unreadable');
  const { host } = await startSandboxHost(t, ['redact-gate', ...extra], {
    required: ['redact-gate'],
    timeouts: { 'redact-gate': 2000, throwing: 2000 },
    config: { 'redact-gate': { failWhile: failFlag }, shout: { words: ['acme'] } },
  });
  return { host, failFlag };
}

t.test('a required filter that runs: nothing is missing, and it is listed as required', async (t) => {
  const { host } = await gatedHost(t);
  const ok = await host.process({ text: 'call me at five', language: 'en' });
  t.equal(ok.text, '[redacted] [redacted] [redacted] [redacted]');
  t.equal(ok.requiredMissing, undefined, 'nothing missing while it runs');
  t.equal(host.requiredUnavailable(), undefined);
  t.match(host.list().find((p) => p.name === REDACT), { required: true, state: 'running' });
  t.equal(host.list().find((p) => p.alias === 'shout')?.required, undefined, 'a plugin not named is not marked');
  t.match(host.state(), { state: 'running', problem: undefined }, 'and nothing for status --check to fail on');
});

t.test('failing, set aside, enabled again: held while it cannot run, published once it does', async (t) => {
  const { host, failFlag } = await gatedHost(t, ['throwing']);
  writeFileSync(failFlag, '');
  const failed = await host.process({ text: 'my card is four two', language: 'en' });
  t.equal(failed.text, 'my card is four two', 'the text the filter did not mask');
  t.match(failed.requiredMissing, [{ plugin: REDACT, reason: /threw: the redaction rules are unreadable/ }]);
  t.notOk(failed.requiredMissing?.some((m) => m.plugin === 'earshot-plugin-throwing'), 'a failing plugin not required is only skipped');
  t.ok(failed.skipped.some((m) => m.plugin === 'earshot-plugin-throwing'));
  t.equal(host.requiredUnavailable(), undefined, 'one failure does not set it aside (maxFailures 2)');

  await host.process({ text: 'again', language: 'en' });
  t.match(host.requiredUnavailable(), /required plugin earshot-plugin-redact-gate did not run \(set aside after failures: filter call threw: the redaction rules are unreadable; `earshot plugins enable` starts it again\)/);
  t.match(host.state(), { state: 'degraded', problem: /required plugin earshot-plugin-redact-gate did not run .*: transcripts wait$/ });
  const aside = await host.process({ text: 'my pin is one', language: 'en' });
  t.match(aside.requiredMissing, [{ plugin: REDACT, reason: /set aside after failures/ }], 'set aside, it is not even called');

  rmSync(failFlag);
  await host.enable('redact-gate');
  t.equal(host.requiredUnavailable(), undefined);
  const mended = await host.process({ text: 'my pin is one', language: 'en' });
  t.equal(mended.text, '[redacted] [redacted] [redacted] [redacted]');
  t.equal(mended.requiredMissing, undefined);
});

t.test('a required plugin disabled by the operator, or not installed: every transcript is missing it', async (t) => {
  const { host, sb } = await startSandboxHost(t, ['upper'], { required: ['upper', 'redactor'] });
  const missing = await host.process({ text: 'hello', language: 'en' });
  t.same(missing.requiredMissing, [{ plugin: 'redactor', reason: 'not installed' }]);
  t.match(sb.lines.join('\n'), /plugins\.required\[1\]: no plugin named "redactor" is installed/, 'the unknown name is pointed at');
  t.match(sb.lines.join('\n'), /ERROR +earshot:plugins required plugin redactor did not run \(not installed\): no transcript is published until it runs; jobs wait/);

  await host.disable('upper');
  const disabled = await host.process({ text: 'hello', language: 'en' });
  t.match(disabled.requiredMissing, [{ plugin: 'earshot-plugin-upper', reason: /^disabled/ }, { plugin: 'redactor' }]);
  t.match(sb.lines.join('\n'), /plugin earshot-plugin-upper disabled, and plugins\.required names it/);
  t.match(host.requiredUnavailable(), /required plugin earshot-plugin-upper did not run \(disabled; `earshot plugins enable` starts it\); required plugin redactor did not run \(not installed\)/);
});

t.test('no partial is published while a required plugin is disabled', async (t) => {
  const { host } = await gatedHost(t);
  const state = newPartialTextState();
  const before = await partialText(host, { text: 'my card', stable: 'my' }, state, { language: 'en' });
  t.same(before, { ok: true, text: '[redacted] [redacted]', stable: '[redacted]' });
  await host.disable('redact-gate');
  const after = await partialText(host, { text: 'my card is', stable: 'my card' }, state, { language: 'en' });
  t.match(after, { ok: false, reason: /required plugin earshot-plugin-redact-gate did not run \(disabled/ });
});

t.test('a required plugin that runs on some languages only is warned about at start', async (t) => {
  const { sb } = await startSandboxHost(t, [], { required: ['shout'] });
  t.match(sb.lines.join('\n'), /WARN +earshot:plugins plugins\.required names earshot-plugin-shout, which runs on en transcripts only: those in other languages are published without it/);
});
