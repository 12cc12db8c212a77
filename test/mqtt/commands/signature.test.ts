import t from 'tap';
import { createHmac } from 'node:crypto';
import { canonicalJson, signatureValid, signCommand, signingString } from '../../../daemon/mqtt/commands/signature.js';
import { ReplayGuard } from '../../../daemon/mqtt/commands/replay-guard.js';
import { payloadErrors } from '../../../daemon/mqtt/payload-schemas.js';

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
