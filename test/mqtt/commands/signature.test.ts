import t from 'tap';
import { createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canonicalJson, signatureValid, signCommand, signingString } from '../../../daemon/mqtt/commands/signature.js';
import { ReplayGuard } from '../../../daemon/mqtt/commands/replay-guard.js';
import { payloadErrors, schemasDir } from '../../../daemon/mqtt/payload-schemas.js';
import type { CommandPayload } from '../../../daemon/mqtt/payloads/command.js';

const key = Buffer.from('k'.repeat(40));

t.test('the signing string is canonical: key order does not matter, values do', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 'x' }], c: null } }), '{"a":{"c":null,"d":[1,{"y":"x","z":0}]},"b":1}');
  const cmd = signCommand(key, 'lab-1', 'budget.set', { watts: 20, mode: 'eco' }, { now: 1_700_000_000_000, requestId: 'req-00000001', nonce: 'nonce-0000000000001' });
  t.same(payloadErrors('command', cmd), []);
  t.equal(signingString('lab-1', 'budget.set', cmd), 'earshot-cmd-v1\nlab-1\nbudget.set\nreq-00000001\n1700000000000\nnonce-0000000000001\n{"mode":"eco","watts":20}');
  // Anyone can reproduce the signature from the documented string with a stock HMAC.
  t.equal(cmd.sig, createHmac('sha256', key).update(signingString('lab-1', 'budget.set', cmd)).digest('hex'));
  t.ok(signatureValid(key, 'lab-1', 'budget.set', { ...cmd, params: { mode: 'eco', watts: 20 } }), 'reordered params still verify');
  t.notOk(signatureValid(key, 'lab-1', 'budget.set', { ...cmd, params: { watts: 21, mode: 'eco' } }), 'changed value fails');
  t.notOk(signatureValid(key, 'lab-2', 'budget.set', cmd), 'other site fails');
  t.notOk(signatureValid(key, 'lab-1', 'model.unload', cmd), 'other verb fails');
  t.notOk(signatureValid(Buffer.from('x'.repeat(40)), 'lab-1', 'budget.set', cmd), 'other key fails');
  t.notOk(signatureValid(key, 'lab-1', 'budget.set', { ...cmd, sig: cmd.sig.slice(0, 10) }), 'truncated signature fails');
});

t.test('the replay guard accepts a nonce once, inside the skew window, after the start', async (t) => {
  const start = 1_000_000;
  const g = new ReplayGuard(60_000, start);
  t.equal(g.check(start + 10, 'n1', start + 20), 'ok');
  t.equal(g.check(start + 10, 'n1', start + 30), 'replayed');
  t.equal(g.check(start + 10, 'n2', start + 70_011), 'stale', 'too old');
  t.equal(g.check(start + 200_000, 'n3', start + 100), 'stale', 'from the future');
  t.equal(g.check(start - 5, 'n4', start + 10), 'stale', 'signed before the guard started');
  t.equal(g.check(start + 100_000, 'n5', start + 100_000), 'ok');
  t.equal(g.remembered, 1, 'nonces outside the window are forgotten');
});

/** The Python example of schemas/README.md, as a reader would copy it. */
function readmePython(): string {
  const readme = readFileSync(join(schemasDir, 'README.md'), 'utf8');
  const block = /```python\n([^]*?)```/.exec(readme);
  if (!block) throw new Error('schemas/README.md has no ```python example');
  return block[1]!;
}

const python3 = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));

t.test('a command signed by the Python example in schemas/README.md verifies, floats of every size and non-ASCII included', { skip: python3 ? false : 'python3 is not installed' }, async (t) => {
  // gCO2e-sized floats (below 1e-4, where Python's notation and JavaScript's part), huge ones, and keys in UTF-16 order.
  const params = '{"watts": 30.0, "ratio": 0.25, "room": "Küche ☕ 😀", "note": "tab\\t \\"q\\" \\\\ \\u0001", "nested": {"b": [1.0, 2.5, -0.0], "a": null, "é": true}, "small": [0.000067, 1e-7, 2.5e-8, 5e-324], "big": [1e16, 1e21, 1.5e300], "\uff61": 1, "\ud83d\ude00": 2}';
  // Run as its own process, the way a client would; "naive" swaps in the old recipe
  // (keys sorted, no whitespace) to show what the exact form is for.
  const sign = async (recipe: 'readme' | 'naive') => {
    const driver = [
      readmePython(),
      'import sys',
      "if sys.argv[5] == 'naive':",
      "    canonical_json = lambda v: json.dumps(v, sort_keys=True, separators=(',', ':'))",
      'print(json.dumps(sign_command(sys.argv[1].encode(), sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))))',
    ].join('\n');
    const { stdout } = await promisify(execFile)(python3!, ['-c', driver, key.toString(), 'lab-1', 'budget.set', params, recipe]);
    return JSON.parse(stdout) as CommandPayload;
  };
  const cmd = await sign('readme');
  t.same(payloadErrors('command', cmd), []);
  t.ok(signatureValid(key, 'lab-1', 'budget.set', cmd), 'the daemon accepts its signature');
  t.notOk(signatureValid(key, 'lab-1', 'budget.set', await sign('naive')), 'the same params signed as "keys sorted, no whitespace" alone are refused');
});
