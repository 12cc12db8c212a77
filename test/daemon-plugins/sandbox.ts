import { chmodSync, cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { LogSink, type Logger } from '../../daemon/log/logger.js';
import { PluginHost } from '../../daemon/plugins/host.js';
import type { PluginsConfig } from '../../daemon/plugins/types.js';
import { fixturesDir, repoRoot, tempDir } from '../helpers/paths.js';

/**
 * A temporary install for host tests: fixture plugins copied from test/fixtures/plugins into
 * `<root>/plugins/<name>`, a `<root>/node_modules/@earshot/sdk` link to this repository's SDK
 * (what `npm install` of a plugin gives it), an empty built-in folder and a data folder.
 */
export interface Sandbox {
  root: string;
  pluginsDir: string;
  builtinDir: string;
  dataDir: string;
  /** Log lines the host wrote, as `LEVEL namespace message fields`. */
  lines: string[];
  logger: Logger;
}

/** `linkSdk: false` leaves the link out: plugins installed as sdk/README.md shows, with nothing to find the SDK in. */
export function sandbox(fixtures: string[], { linkSdk = true }: { linkSdk?: boolean } = {}): Sandbox {
  const root = tempDir('earshot-plugins-');
  const pluginsDir = join(root, 'plugins');
  const builtinDir = join(root, 'builtin');
  const dataDir = join(root, 'data');
  mkdirSync(builtinDir);
  if (linkSdk) {
    mkdirSync(join(root, 'node_modules', '@earshot'), { recursive: true });
    symlinkSync(join(repoRoot, 'sdk'), join(root, 'node_modules', '@earshot', 'sdk'));
  }
  mkdirSync(pluginsDir, { mode: 0o755 });
  for (const name of fixtures) {
    const dir = join(pluginsDir, name);
    cpSync(join(fixturesDir, 'plugins', name), dir, { recursive: true });
    // A checkout under umask 002 would make the copy group-writable, which the host rightly refuses.
    chmodSync(dir, 0o755);
    for (const file of readdirSync(dir)) chmodSync(join(dir, file), 0o644);
  }
  chmodSync(pluginsDir, 0o755);
  const lines: string[] = [];
  const logger = new LogSink({ level: 'debug', format: 'text', syslogPrefix: false, write: (line) => void lines.push(line) }).logger('plugins');
  return { root, pluginsDir, builtinDir, dataDir, lines, logger };
}

/** A complete `plugins` config section; values chosen for fast tests, not the product defaults. */
export function pluginsConfig(overrides: Partial<PluginsConfig> = {}): PluginsConfig {
  return {
    dirs: [],
    npm: false,
    order: [],
    disabled: [],
    required: [],
    config: {},
    timeoutMs: 100,
    // Every fixture that answers (with a result, a throw or a rejection) gets room for a round
    // trip into its thread on a busy 2-core box, so that a throw is reported as one and not as
    // a timeout; only the fixtures that never answer (hanging) keep the short limit the tests are about.
    timeouts: { shout: 2000, suffix: 2000, counting: 2000, chatty: 2000, throwing: 2000, rejecting: 2000 },
    lifecycleTimeoutMs: 2000,
    maxFailures: 3,
    isolation: 'auto',
    threadMemoryMb: 64,
    threadBufferMb: 64,
    ...overrides,
  };
}

/** {@link pluginsConfig} that discovers the sandbox's plugins folder. */
export function testConfig(sb: Sandbox, overrides: Partial<PluginsConfig> = {}): PluginsConfig {
  return pluginsConfig({ dirs: [sb.pluginsDir], ...overrides });
}

/**
 * A started host over a sandbox holding `fixtures` and `shout` (which upper-cases "acme"),
 * set aside after 2 failures in a row; stopped at the test's teardown.
 */
export async function startSandboxHost(t: { teardown(fn: () => Promise<void>): void }, fixtures: string[], overrides: Partial<PluginsConfig> = {}) {
  const sb = sandbox([...fixtures, 'shout']);
  const host = new PluginHost({
    logger: sb.logger,
    dataDir: sb.dataDir,
    builtinDir: sb.builtinDir,
    config: testConfig(sb, { maxFailures: 2, config: { shout: { words: ['acme'] } }, ...overrides }),
  });
  await host.start();
  t.teardown(() => host.stop());
  return { host, sb };
}
