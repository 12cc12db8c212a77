import t from 'tap';
import { join } from 'node:path';
import { openSession } from '../../daemon/asr/session.js';
import { readOnnxMetadata } from '../../daemon/asr/models/onnx-metadata.js';
import { tempDir } from '../helpers/paths.js';
import { writeMatMulModel } from './helpers/onnx-writer.js';

const MB = 1048576;

t.test('release() gives the model memory back (RSS drops)', async (t) => {
  const path = join(tempDir(), 'big.onnx');
  writeMatMulModel(path, 4096, { model_type: 'test' }); // 64 MiB of weights
  t.equal(readOnnxMetadata(path).get('model_type'), 'test', 'metadata is read past a 64 MiB graph');
  const before = process.memoryUsage().rss;
  const session = await openSession(path, { providers: ['cpu'], threads: 1, graphOptimization: 'all' });
  const loaded = process.memoryUsage().rss;
  t.ok(loaded - before > 48 * MB, `loading grew RSS by ${Math.round((loaded - before) / MB)} MiB`);
  await session.release();
  await new Promise((r) => setTimeout(r, 50));
  const released = process.memoryUsage().rss;
  t.ok(loaded - released > 40 * MB, `release() shrank RSS by ${Math.round((loaded - released) / MB)} MiB`);
});
