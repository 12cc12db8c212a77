import t from 'tap';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { SocketSource } from '../../../daemon/audio/sources/socket-source.js';
import { SourceSet } from '../../../daemon/audio/sources/source-set.js';
import type { AudioFrames } from '../../../daemon/audio/types.js';
import { LogSink } from '../../../daemon/log/logger.js';
import { tempDir } from '../../helpers/paths.js';

const s16 = { encoding: 's16le' as const, sampleRate: 16000, channels: 1 };
const quickRetry = { firstMs: 100, maxMs: 400 };

function logs() {
  const lines: string[] = [];
  const sink = new LogSink({ level: 'info', format: 'json', write: (l) => lines.push(l) });
  return { logger: sink.logger('sources'), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const until = async (what: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A socket source in a folder that does not exist yet, as before tmpfiles or a mount made it. */
function lateSocketSource(logger: ReturnType<typeof logs>['logger'], frames: AudioFrames[] = []) {
  const folder = join(tempDir(), 'run-later');
  const path = join(folder, 'mic.sock');
  const source = new SocketSource({ id: 'late', listen: { path }, format: s16, logger, onFrames: (f) => void frames.push(f) });
  return { folder, path, source, frames };
}

t.test('a source that cannot start is tried again until it can, and then works', async (t) => {
  const { logger, records } = logs();
  const late = lateSocketSource(logger);
  const set = new SourceSet([late.source], logger, quickRetry);
  await set.start();
  t.teardown(() => set.stop());
  t.equal(set.status()[0]!.state, 'failed');
  t.match(set.status()[0]!.error, /ENOENT|EACCES/);
  t.ok((set.status()[0]!.retryInSec ?? -1) >= 0 && (set.status()[0]!.retryInSec ?? 9) <= 1, 'and when it is tried next');
  const first = records().find((r) => r.msg === 'source failed to start; the other sources keep running');
  t.match(first, { source: 'late', attempt: 1, retryInMs: 100 }, 'says it will try again, and when');

  await new Promise((r) => setTimeout(r, 500));
  mkdirSync(late.folder);
  await until(() => set.status()[0]!.state === 'running');
  const started = records().find((r) => r.msg === 'source started');
  t.ok(started && (started.attempt as number) >= 3, `started on attempt ${String(started?.attempt)}`);
  const sender = connect(late.path);
  sender.end(Buffer.alloc(3200));
  await until(() => late.frames.reduce((n, f) => n + f.samples.length, 0) >= 1600);
  t.pass('audio sent to it arrives');
});

t.test('the same failure, again and again, is logged once a minute, not per attempt', async (t) => {
  const { logger, records } = logs();
  const late = lateSocketSource(logger);
  const set = new SourceSet([late.source], logger, { firstMs: 10, maxMs: 20 });
  await set.start();
  await new Promise((r) => setTimeout(r, 600));
  await set.stop();
  const failures = records().filter((r) => r.source === 'late' && r.level === 'error');
  t.equal(failures.length, 1, `${failures.length} error lines for some 30 attempts`);
});

t.test('stop() ends the retrying: nothing starts afterwards', async (t) => {
  const { logger, records } = logs();
  const late = lateSocketSource(logger);
  const set = new SourceSet([late.source], logger, quickRetry);
  await set.start();
  await set.stop();
  mkdirSync(late.folder);
  await new Promise((r) => setTimeout(r, 600));
  t.notOk(existsSync(late.path), 'no socket made after the stop');
  t.notOk(records().some((r) => r.msg === 'source started'));
  t.equal(set.status()[0]!.state, 'stopped');
});
