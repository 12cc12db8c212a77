import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { earshotBin, launchRefused, runCli, startDaemon } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { boxKeys } from '../helpers/fleet-identities.js';
import { callAt, syncedAfterOpen, traceFileCalls } from '../helpers/strace.js';

/**
 * `earshot fleet keygen` makes a key the daemon takes as its identity, private and never
 * over an old one; a daemon refuses to start on an identity it cannot trust, saying which
 * setting and why.
 */
t.test('earshot fleet keygen writes a private key (mode 600) a daemon starts with, prints the public key, and never overwrites', async (t) => {
  const out = join(tempDir('earshot-keygen-'), 'id.pem');
  const made = await runCli(['fleet', 'keygen', '--out', out, '--json']);
  t.equal(made.code, 0, made.stderr);
  const { publicKey, keyFile } = JSON.parse(made.stdout) as { publicKey: string; keyFile: string };
  t.equal(keyFile, out);
  t.match(publicKey, /^MCowBQYDK2VwAyEA[A-Za-z0-9+/]{43}=$/, 'the base64 of an Ed25519 public key (DER SPKI)');
  t.equal(statSync(out).mode & 0o777, 0o600, 'private to its owner');
  t.match(readFileSync(out, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);

  const before = readFileSync(out, 'utf8');
  const again = await runCli(['fleet', 'keygen', '--out', out]);
  t.equal(again.code, 1);
  t.match(again.stderr, /exists: a box keeps its key/);
  t.equal(readFileSync(out, 'utf8'), before, 'the old key is left as it was');

  // As root for another user (the daemon's): the file is that user's.
  if (process.getuid?.() === 0) {
    const theirs = join(tempDir('earshot-keygen-owner-'), 'id.pem');
    const owned = await runCli(['fleet', 'keygen', '--out', theirs, '--owner', 'nobody']);
    t.equal(owned.code, 0, owned.stderr);
    t.equal(statSync(theirs).uid, Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim()), '--owner: owned by that user');
  }
  const unknown = await runCli(['fleet', 'keygen', '--out', join(tempDir('earshot-keygen-owner-'), 'id.pem'), '--owner', 'no-such-user-here']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /--owner no-such-user-here: no such user/);

  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  // Listed under its own site id with the key keygen printed: the daemon starts.
  const daemon = await startDaemon({ siteId: 'box', mqtt: { url: broker.url, fleet: { enabled: true, group: 'g', identity: { keyFile: out, members: { box: publicKey } } }, telemetryIntervalSec: 0 }, vad: { detector: 'energy' } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  t.notMatch(daemon.output(), /fleet messages are not signed/, 'no warning that the group is unsigned');
});

t.test('the key file and its folder are synced to disk before the public key is printed', async (t) => {
  // The operator lists the printed key on every other box: a power cut must not leave this
  // box an empty key file after that.
  const dir = tempDir('earshot-keygen-sync-');
  const out = join(dir, 'id.pem');
  const run = traceFileCalls([process.execPath, earshotBin, 'fleet', 'keygen', '--out', out]);
  t.equal(run.status, 0, run.stderr);
  const printed = callAt(run.calls, 0, (l) => /write\(1, "MCow/.test(l));
  const fileSynced = syncedAfterOpen(run.calls, 0, out);
  const dirSynced = syncedAfterOpen(run.calls, fileSynced, dir);
  t.ok(fileSynced !== -1 && fileSynced < printed, 'the key file is fsynced before the key is printed');
  t.ok(dirSynced !== -1 && dirSynced < printed, 'then its folder');
});

t.test('a daemon refuses to start on an identity key others can read, a member key that is not one, or another key listed for itself', async (t) => {
  const keys = boxKeys('box', 'other');
  const config = (identity: Record<string, unknown>) => ({ siteId: 'box', mqtt: { url: 'mqtt://127.0.0.1:1', fleet: { enabled: true, group: 'g', identity }, telemetryIntervalSec: 0 }, vad: { detector: 'energy' } });
  const cases: Array<[string, Record<string, unknown>, RegExp, () => void]> = [
    ['readable by others', { keyFile: keys.box.keyFile, members: {} }, /mqtt\.fleet\.identity\.keyFile .*box\.pem is readable by others \(mode 0644\); run: chmod 600/, () => chmodSync(keys.box.keyFile, 0o644)],
    ['a member key that is not one', { keyFile: keys.box.keyFile, members: { other: 'bm90IGEga2V5' } }, /mqtt\.fleet\.identity\.members\.other: not a public key/, () => chmodSync(keys.box.keyFile, 0o600)],
    ["another box's key listed for this box", { keyFile: keys.box.keyFile, members: { box: keys.other.publicKey } }, /mqtt\.fleet\.identity\.members\.box \(this box\) is not the public key of mqtt\.fleet\.identity\.keyFile/, () => undefined],
    ['no key file', { members: {} }, /mqtt\.fleet\.identity\.keyFile is null; make this box's key with: earshot fleet keygen/, () => undefined],
  ];
  for (const [what, identity, message, setUp] of cases) {
    setUp();
    const r = await launchRefused(config(identity));
    t.equal(r.ready, false, `${what}: not started`);
    t.equal(r.code, 78, `${what}: exits 78 (bad config)`);
    t.match(r.output, message, `${what}: says which setting and why`);
  }
});
