/**
 * Child process for long-file.test.ts: streams a long WAV through decoding, the energy
 * detector and the segmenter, then reports its own peak RSS. Run alone so that the
 * measurement is this pipeline's and nothing else's.
 */
import { detectFileSegments } from '../../daemon/vad/detect-file.js';
import { EnergyDetector } from '../../daemon/vad/energy.js';
import { resolveSegmenterSettings } from '../../daemon/vad/sensitivity.js';

const path = process.argv[2];
if (!path) throw new Error('usage: long-file-worker FILE');
// RSS once the code is loaded, before any audio: the pipeline's own cost is the growth above it.
const baseRssMb = process.memoryUsage().rss / 1024 / 1024;
let longest = 0;
const started = process.cpuUsage();
const result = await detectFileSegments(path, {
  sourceId: 'long',
  detector: new EnergyDetector(),
  settings: resolveSegmenterSettings(),
  onSegment: (s) => {
    longest = Math.max(longest, s.endSec - s.startSec);
  },
});
const cpu = process.cpuUsage(started);
process.stdout.write(
  JSON.stringify({
    ...result,
    longestSec: longest,
    cpuSec: (cpu.user + cpu.system) / 1e6,
    // resourceUsage().maxRSS is in kilobytes.
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    baseRssMb,
  }) + '\n',
);
