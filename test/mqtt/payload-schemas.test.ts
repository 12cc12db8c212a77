import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { payloadErrors, schemasDir } from '../../daemon/mqtt/payload-schemas.js';
import { CONTROL_ERROR_CODES } from '../../daemon/control/protocol.js';
import { buildTranscript, transcriptId } from '../../daemon/mqtt/payloads/transcript.js';
import { buildStatus } from '../../daemon/mqtt/payloads/status.js';
import { buildTelemetry } from '../../daemon/mqtt/payloads/telemetry.js';
import { sampleTranscript } from './helpers/transcripts.js';

t.test('a built transcript validates; missing or wrong fields are reported by path', async (t) => {
  const tr = sampleTranscript(1);
  t.same(payloadErrors('transcript', tr), []);
  t.equal(tr.v, 1);

  const { carbon: _c, ...noCarbon } = tr;
  t.match(payloadErrors('transcript', noCarbon), [/must have required property 'carbon'/]);
  t.match(payloadErrors('transcript', { ...tr, energy: { joules: 1, method: 'guessed' } }), [/\/energy\/method: must be equal to one of/]);
  t.match(payloadErrors('transcript', { ...tr, startedAt: 'yesterday' }), [/\/startedAt: must match format "date-time"/]);
  t.match(payloadErrors('transcript', { ...tr, v: 2 }), [/\/v: must be equal to constant/]);
});

t.test('transcript ids are stable per job and unique across jobs', async (t) => {
  t.equal(transcriptId('s', 'mic', 'job-1'), transcriptId('s', 'mic', 'job-1'));
  t.not(transcriptId('s', 'mic', 'job-1'), transcriptId('s', 'mic', 'job-2'));
  t.not(transcriptId('s', 'mic', 'job-1'), transcriptId('t', 'mic', 'job-1'));
  t.not(transcriptId('s', 'mic'), transcriptId('s', 'mic'), 'no job id: random');
  const a = buildTranscript({ ...sampleTranscript(3), id: undefined });
  t.equal(a.id, transcriptId(a.siteId, a.sourceId, a.jobId));
});

t.test('status and telemetry builders produce valid payloads', async (t) => {
  const online = buildStatus('online', { siteId: 'lab-1', version: '0.1.0', clientId: 'earshot-lab-1', startedAt: new Date() });
  t.same(payloadErrors('status', online), []);
  t.same(payloadErrors('status', buildStatus('offline', { siteId: 'lab-1', version: '0.1.0', clientId: 'c', reason: 'shutdown' })), []);
  t.match(payloadErrors('status', { ...online, state: 'sleeping' }), [/\/state/]);

  const tel = buildTelemetry(
    'lab-1',
    {
      power: { watts: 6.5, method: 'measured', source: 'rapl' },
      temperature: { celsius: null },
      carbon: { intensityGPerKwh: 312, source: 'static' },
      model: { id: 'earshot-tiny-en', state: 'loaded' },
      queue: { depth: 3 },
    },
    7,
  );
  t.same(payloadErrors('telemetry', tel), []);
  t.equal(tel.queue.outboxDepth, 7);
  t.match(payloadErrors('telemetry', { ...tel, queue: { depth: -1, outboxDepth: 0 } }), [/\/queue\/depth/]);
});

t.test('every error code a reply can carry is in the reply schema, and only those', async (t) => {
  const schema = JSON.parse(readFileSync(join(schemasDir, 'reply.schema.json'), 'utf8')) as { properties: { error: { properties: { code: { enum: string[] } } } } };
  t.same(schema.properties.error.properties.code.enum, [...CONTROL_ERROR_CODES], 'the schema lists the control codes');
  for (const code of CONTROL_ERROR_CODES) t.same(payloadErrors('reply', { v: 1, requestId: 'req-00000001', status: 'error', error: { code, message: 'm' } }), [], code);
  for (const code of ['unknown-verb', 'unauthorized', 'ENOENT']) t.not(payloadErrors('reply', { v: 1, requestId: 'req-00000001', status: 'error', error: { code, message: 'm' } }).length, 0, `${code} is not a reply code`);
});
