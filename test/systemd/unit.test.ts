import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { earshotdBin } from '../helpers/daemon-process.js';

/** The unit as shipped, with ExecStart pointing at this checkout's binary so verify can stat it. */
function unitForThisCheckout(): string {
  const unit = readFileSync(join(repoRoot, 'systemd', 'earshot.service'), 'utf8');
  t.match(unit, /^ExecStart=\/usr\/bin\/earshotd --config \/etc\/earshot\/config\.json$/m);
  const file = join(tempDir('unit-'), 'earshot.service');
  writeFileSync(file, unit.replace(/^ExecStart=\/usr\/bin\/earshotd/m, `ExecStart=${earshotdBin}`));
  return file;
}

t.test('the shipped unit is Type=notify with a watchdog and the directories the daemon uses', async (t) => {
  const unit = readFileSync(join(repoRoot, 'systemd', 'earshot.service'), 'utf8');
  for (const line of ['Type=notify', 'Restart=on-failure', 'StateDirectory=earshot', 'RuntimeDirectory=earshot', 'ConfigurationDirectory=earshot', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'SystemCallFilter=@system-service', 'User=earshot', 'RestartPreventExitStatus=78', 'KillMode=mixed']) {
    t.match(unit, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), line);
  }
  t.match(unit, /^WatchdogSec=\d+s?$/m);
  t.match(readFileSync(join(repoRoot, 'systemd', 'earshot.sysusers'), 'utf8'), /^u earshot /m);
  t.match(readFileSync(join(repoRoot, 'systemd', 'earshot.tmpfiles'), 'utf8'), /^d \/var\/lib\/earshot /m);
});

t.test('systemd-analyze verify accepts the unit', async (t) => {
  const file = unitForThisCheckout();
  const res = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  t.equal(res.error, undefined, 'systemd-analyze is installed (.ci/run installs Debian systemd)');
  t.equal(res.status, 0, res.stderr);
  t.notMatch(res.stderr, /earshot\.service:\d+:/, 'no warnings about our own lines');
});

t.test('systemd-analyze security rates the unit at most 2.0 (OK)', async (t) => {
  const file = unitForThisCheckout();
  const out = execFileSync('systemd-analyze', ['security', '--offline=true', file], { encoding: 'utf8' });
  const m = /Overall exposure level for [^:]+: ([\d.]+) (\w+)/.exec(out);
  t.ok(m, 'an exposure level is printed');
  const score = Number(m![1]);
  t.comment(`exposure ${score} ${m![2]}`);
  t.ok(score <= 2.0, `exposure ${score} <= 2.0`);
});
