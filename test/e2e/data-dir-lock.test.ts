import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchDaemon, startDaemon } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';

/**
 * Two earshotd on one data directory, with control sockets of their own (so the socket's
 * probe does not see them): the second is refused with a message that names the first and
 * what to do, and the first goes on. Killed, the first's lock is taken over by the next
 * start at once, as systemd's restart after a crash does.
 */
// The second test waits out the daemon's 30 s lock renewal, idle: the first, on a data
// directory of its own, runs beside it meanwhile.
t.jobs = 2;

t.test('a second earshotd on the same data directory is refused; after a SIGKILL the next start takes it over', async (t) => {
  const dataDir = join(tempDir('earshot-e2e-lock-'), 'data');
  const config = { dataDir, mqtt: { url: null, embedded: { host: '127.0.0.1', port: 0 }, telemetryIntervalSec: 0 } };
  const first = await startDaemon(config);
  t.teardown(() => {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
  });

  const second = launchDaemon(config);
  const code = await second.exited;
  t.equal(code, 1, 'the second exits 1');
  t.match(second.output(), new RegExp(`could not start.*${dataDir} is in use by another earshotd \\(pid ${first.child.pid}, lock renewed \\d+ s ago\\); stop it first, or give this one another dataDir`));
  t.equal(first.child.exitCode, null, 'the first goes on');

  first.child.kill('SIGKILL');
  await first.exited;
  const third = await startDaemon(config);
  t.teardown(() => {
    if (third.child.exitCode === null) third.child.kill('SIGKILL');
  });
  t.match(third.output(), new RegExp(`taking over the data directory from an earshotd that is gone \\(pid ${first.child.pid} is not running\\)`));
  third.child.kill('SIGTERM');
  t.equal(await third.exited, 0);
});

t.test('a daemon whose lock another earshotd took over exits at once, at its next renewal', async (t) => {
  const dataDir = join(tempDir('earshot-e2e-lock-'), 'data');
  const daemon = await startDaemon({ dataDir, mqtt: { url: null, embedded: { host: '127.0.0.1', port: 0 }, telemetryIntervalSec: 0 } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const lock = join(dataDir, 'earshotd.lock');
  const theirs = { ...JSON.parse(readFileSync(lock, 'utf8')), pid: process.pid, nonce: 'another0holder00' };
  writeFileSync(lock, JSON.stringify(theirs) + '\n');
  // The renewal comes within 30 s.
  t.equal(await daemon.exited, 1, 'exit 1');
  t.match(daemon.output(), /another earshotd took over the data directory .*; stopping, so that one daemon works on it/);
  t.match(daemon.output(), /exiting at once/);
  t.notMatch(daemon.output(), /job queue closed|stopping reason=/, 'no graceful stop writing into the directory the other one uses');
  t.same(JSON.parse(readFileSync(lock, 'utf8')), theirs, 'the other\'s lock is left alone');
});
