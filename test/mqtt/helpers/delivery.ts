import type { Test } from 'tap';
import { payloadErrors } from '../../../daemon/mqtt/payload-schemas.js';
import type { TranscriptPayload } from '../../../daemon/mqtt/payloads/transcript.js';
import { sampleTranscript } from './transcripts.js';
import { TestSubscriber } from './subscriber.js';

/** Transcripts produced in each delivery test. */
export const N = 200;

/** An archiver with a persistent session: the broker queues for it while either side is away. */
export function archiver(url: string, clientId: string): Promise<TestSubscriber> {
  return TestSubscriber.connect(url, 'earshot/+/transcript/+', { clientId, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
}

export function idsOf(sub: TestSubscriber): string[] {
  return sub.messages.filter((m) => m.topic.includes('/transcript/')).map((m) => m.json<TranscriptPayload>().id);
}

/** All N transcripts of `siteId` arrived, each id at least once, first deliveries in order, all valid. */
export function expectAll(t: Test, sub: TestSubscriber, siteId: string): void {
  const ids = idsOf(sub);
  const distinct = [...new Set(ids)];
  const expected = Array.from({ length: N }, (_, i) => sampleTranscript(i, siteId).id);
  t.equal(distinct.length, N, `${N} distinct transcripts arrived (${ids.length - distinct.length} duplicate deliveries)`);
  t.same(new Set(distinct), new Set(expected), 'exactly the produced ids, none lost');
  t.same(distinct, expected, 'first deliveries in production order');
  t.ok(sub.messages.every((m) => payloadErrors('transcript', m.json()).length === 0), 'every payload validates');
}
