import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A collection on demand, so that what is still held is all that is counted.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Bytes of Buffers (ArrayBuffers) this process holds, once garbage is collected. */
export async function bufferBytesHeld(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().arrayBuffers;
}
