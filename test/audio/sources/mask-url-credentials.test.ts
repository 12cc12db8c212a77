import t from 'tap';
import { maskUrlCredentials } from '../../../daemon/log/redact.js';
import { StderrTail } from '../../../daemon/audio/sources/stderr-tail.js';

t.test('the user info of URLs is masked, the rest kept', async (t) => {
  const cases: Array<[string, string]> = [
    ['rtsp://admin:hunter2@10.0.0.5:554/stream: Connection refused', 'rtsp://***@10.0.0.5:554/stream: Connection refused'],
    ['Input #0, from rtsp://token@cam.local/live', 'Input #0, from rtsp://***@cam.local/live'],
    ['[tcp] rtsp://admin:p@ss@10.0.0.5 failed', '[tcp] rtsp://***@10.0.0.5 failed'],
    ["'HTTP://u:p%40x@h/a?b=c@d' and rtmp://x:y@h2", "'HTTP://***@h/a?b=c@d' and rtmp://***@h2"],
    ['rtsp://10.0.0.5:554/stream user@example.com', 'rtsp://10.0.0.5:554/stream user@example.com'],
    ['no url here: Connection refused', 'no url here: Connection refused'],
  ];
  for (const [text, masked] of cases) t.equal(maskUrlCredentials(text), masked, text);
});

t.test('the stderr tail keeps the last lines, masked before they are cut', async (t) => {
  const tail = new StderrTail(3, 40);
  tail.push('x'.repeat(5000) + '\n');
  tail.push('line one\r\nprogress 1\rprogress 2\n');
  // The URL arrives split across two chunks.
  tail.push('rtsp://admin:hun');
  tail.push('ter2@10.0.0.5:554/stream: Connection refused\n');
  t.equal(tail.text(), 'progress 1 | progress 2 | rtsp://***@10.0.0.5:554/stream: Connecti…');
  t.equal(new StderrTail().text(), undefined);
});
