import t from 'tap';
import { Readable } from 'node:stream';
import { ExitDrain, type OutputLetGo } from '../../../daemon/audio/sources/exit-drain.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Like a pipe: hands out `chunks` 1000-byte chunks as they are asked for, then, unless it
 * ends, stays open (something still holds it) or goes on for ever (`chunks` Infinity).
 */
function pipe(chunks: number, end = false): Readable {
  let given = 0;
  return new Readable({
    highWaterMark: 1,
    read() {
      if (given < chunks) {
        given++;
        this.push(Buffer.alloc(1000));
      } else if (end) this.push(null);
    },
  });
}

function drain(output: Readable, idleMs: number, limitMs: number) {
  const letGo: OutputLetGo[] = [];
  return { drain: new ExitDrain(output, { idleMs, limitMs, onLetGo: (l) => letGo.push(l) }), letGo };
}

t.test('after the exit a slow reader still gets all that was waiting; then an output nobody writes to is let go', async (t) => {
  const { drain: output, letGo } = drain(pipe(5), 200, 30_000);
  let bytes = 0;
  for await (const chunk of output.chunks()) {
    if (bytes === 0) output.exited();
    bytes += chunk.length;
    await sleep(600); // three times the idle limit for each chunk
  }
  t.equal(bytes, 5000, 'every chunk was read, and the chunks ended without an error');
  t.equal(letGo.length, 1);
  t.match(letGo[0], { reason: 'idle', readAfterExitBytes: 4000, droppedBytes: 0 });
});

t.test('before the exit an idle output is waited for as long as it takes', async (t) => {
  const { drain: output, letGo } = drain(pipe(1), 100, 30_000);
  const chunks = output.chunks();
  await chunks.next();
  const next = chunks.next();
  await sleep(500);
  t.equal(letGo.length, 0);
  const exitedAt = Date.now();
  output.exited();
  t.same(await next, { done: true, value: undefined }, 'once the command exits, the waiting ends');
  t.ok(Date.now() - exitedAt >= 100, 'after the idle time');
  t.equal(letGo[0]!.reason, 'idle');
});

t.test('an output written to for ever after the exit is let go at the limit, saying what was dropped', async (t) => {
  const { drain: output, letGo } = drain(pipe(Infinity), 200, 800);
  output.exited();
  let bytes = 0;
  for await (const chunk of output.chunks()) {
    bytes += chunk.length;
    await sleep(10);
  }
  t.equal(letGo.length, 1);
  t.equal(letGo[0]!.reason, 'limit');
  t.ok(letGo[0]!.afterExitMs >= 800);
  t.equal(letGo[0]!.readAfterExitBytes, bytes);
  t.ok(letGo[0]!.droppedBytes >= 1000, `what was taken from the pipe but not read (${letGo[0]!.droppedBytes})`);
});

t.test('an output that has ended is not let go while its reader is busy with the last of it past the limit', async (t) => {
  const { drain: output, letGo } = drain(pipe(2, true), 100, 300);
  output.exited();
  let bytes = 0;
  for await (const chunk of output.chunks()) {
    bytes += chunk.length;
    if (bytes === 2000) await sleep(600);
  }
  t.equal(bytes, 2000);
  t.same(letGo, []);
});

t.test('an error of the output is not mistaken for letting it go', async (t) => {
  const output = new Readable({ read() {} });
  const { drain: exitDrain, letGo } = drain(output, 100, 1000);
  setTimeout(() => output.destroy(new Error('EIO')), 50);
  await t.rejects(async () => {
    for await (const chunk of exitDrain.chunks()) void chunk;
  }, /EIO/);
  t.same(letGo, []);
});

t.test('a stop cuts the time read after the exit short, whether the exit came before it or comes after', async (t) => {
  for (const exitFirst of [true, false]) {
    const { drain: output, letGo } = drain(pipe(Infinity), 200, 60_000);
    if (exitFirst) output.exited();
    output.hurry(300);
    if (!exitFirst) output.exited();
    const started = Date.now();
    for await (const chunk of output.chunks()) {
      void chunk;
      await sleep(10);
    }
    t.equal(letGo[0]?.reason, 'limit', `let go at the limit (exit ${exitFirst ? 'before' : 'after'} the stop)`);
    t.ok(Date.now() - started < 5000, `after ${Date.now() - started} ms, not the minute`);
  }
});
