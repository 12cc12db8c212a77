import t from 'tap';
import { LogSink, redactSecrets } from '../../daemon/log/logger.js';

function capture(level: 'error' | 'warn' | 'info' | 'debug', format: 'text' | 'json', syslogPrefix = false) {
  const lines: string[] = [];
  const sink = new LogSink({ level, format, syslogPrefix, write: (l) => lines.push(l) });
  return { sink, lines };
}

t.test('text lines are namespaced, levelled and carry key=value fields', async (t) => {
  const { sink, lines } = capture('info', 'text');
  sink.logger('scheduler').info('job done', { jobId: 'j-1', ms: 12, note: 'two words' });
  t.equal(lines[0], 'INFO  earshot:scheduler job done jobId=j-1 ms=12 note="two words"');
});

t.test('journald priority prefixes when asked', async (t) => {
  const { sink, lines } = capture('debug', 'text', true);
  const log = sink.logger('x');
  log.error('e');
  log.warn('w');
  log.debug('d');
  t.same(lines.map((l) => l.slice(0, 3)), ['<3>', '<4>', '<7>']);
});

t.test('levels filter, and lazy messages are only built when enabled', async (t) => {
  const { sink, lines } = capture('info', 'text');
  let built = 0;
  const log = sink.logger('x');
  log.debug(() => `expensive ${++built}`);
  t.equal(built, 0);
  t.equal(lines.length, 0);
  sink.setLevel('debug');
  log.debug(() => `expensive ${++built}`);
  t.equal(built, 1);
  t.match(lines[0], /expensive 1/);
});

t.test('secrets are never printed, in text or JSON, however deep', async (t) => {
  const { sink, lines } = capture('info', 'json');
  sink.logger('mqtt').info('connecting', { url: 'mqtts://b:8883', password: 'hunter2', tls: { key: 'PEM', ca: '/ca.pem' }, hmacKey: 'k', token: 't' });
  const text = lines.join('\n');
  for (const secret of ['hunter2', 'PEM', '"k"', '"t"']) t.notMatch(text, secret);
  const record = JSON.parse(lines[0]!) as Record<string, unknown>;
  t.equal(record.password, '***');
  t.equal(record.url, 'mqtts://b:8883');
  t.same(redactSecrets({ apiKey: 'x', nested: [{ secret: 'y' }] }), { apiKey: '***', nested: [{ secret: '***' }] });
});

t.test('a message quoting outside text stays one line: control characters are escaped', async (t) => {
  const lines: string[] = [];
  const log = new LogSink({ level: 'info', format: 'text', syslogPrefix: true, write: (line) => void lines.push(line) }).logger('mqtt');
  log.warn('refused a publish to earshot/x\n<0>EMERG earshot:fake forged line\r\u2028end', { topic: 'a\nb' });
  t.equal(lines.length, 1);
  t.notMatch(lines[0]!, /[\n\r\u2028]/, 'no raw line break of any kind');
  t.match(lines[0]!, /earshot\/x\\n<0>EMERG earshot:fake forged line\\r\\u2028end topic="a\\nb"$/);
});

t.test('an error field prints its message, code and causes, in text and JSON', async (t) => {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' });
  const err = new Error('sources: id "mic" is used twice; every source needs its own id', { cause });
  const noMessage = Object.assign(new Error(''), { code: 'ENOENT' });
  for (const format of ['text', 'json'] as const) {
    const { sink, lines } = capture('info', format);
    sink.logger('daemon').error('could not start', { err, other: noMessage });
    const line = lines[0]!;
    t.match(line, 'id \\"mic\\" is used twice', `${format}: the message is there`);
    t.match(line, 'ECONNREFUSED 127.0.0.1:1883', `${format}: and its cause`);
    t.match(line, /Error \[ENOENT\]/, `${format}: a message-less error still says its code`);
    t.notMatch(line, /err=\{\}|"err":\{\}/, `${format}: not an empty object`);
  }
});

t.test('credentials inside URLs are masked, in messages, fields and errors', async (t) => {
  const { sink, lines } = capture('info', 'text');
  const log = sink.logger('mqtt');
  log.warn('lost the broker mqtt://alice:s3cret@broker.lan:1883; retrying', { url: 'mqtts://alice:s3cret@b:8883', stderr: ['[tcp @ 0x55] rtsp://admin:hunter2@10.0.0.5:554/stream: Connection refused'] });
  log.error('failed', { err: new Error('cannot reach rtsp://admin:hunter2@10.0.0.5/stream') });
  const text = lines.join('\n');
  for (const secret of ['s3cret', 'hunter2', 'alice', 'admin']) t.notMatch(text, secret, `${secret} is not printed`);
  t.match(text, 'mqtt://***@broker.lan:1883', 'the rest of the URL stays');
  t.match(text, 'rtsp://***@10.0.0.5:554/stream');
});
