/**
 * Child process for ffmpeg-process-group.test.ts, standing in for the daemon: it decodes a
 * file through ffmpeg and, like the daemon, takes SIGINT as its own to handle. Once samples
 * come it prints ffmpeg's pid and waits (ffmpeg stays blocked on the full pipe) until it
 * has been sent SIGINT, or up to 10 s; then it reads to the end and reports.
 */
import { openAudioFile } from '../../daemon/audio/decode-file.js';
import { ffmpegChild } from '../helpers/ffmpeg-child.js';

const path = process.argv[2];
if (!path) throw new Error('usage: ffmpeg-group-worker FILE');
let interrupted = false;
let onInterrupt: () => void = () => undefined;
process.on('SIGINT', () => {
  interrupted = true;
  onInterrupt();
});
let samples = 0;
let error: string | undefined;
try {
  const file = await openAudioFile(path);
  for await (const chunk of file.samples()) {
    if (samples === 0) {
      process.stdout.write(`ffmpeg ${ffmpegChild() ?? 'none'}\n`);
      await new Promise<void>((resolve) => {
        onInterrupt = resolve;
        setTimeout(resolve, 10_000);
      });
    }
    samples += chunk.length;
  }
} catch (err) {
  error = err instanceof Error ? err.message : String(err);
}
process.stdout.write(JSON.stringify({ samples, interrupted, ...(error !== undefined ? { error } : {}) }) + '\n');
process.exit(0);
