import type { Logger } from '../log/logger.js';
import type { OutboxStore } from './outbox/outbox-store.js';
import type { OutboxDrainer } from './outbox/outbox-drainer.js';
import type { TranscriptPayload } from './payloads/transcript.js';
import { payloadErrors } from './payload-schemas.js';
import { siteTopics, TOPIC_QOS } from './topics.js';

export interface TranscriptPublisherOptions {
  siteId: string;
  store: OutboxStore;
  drainer: OutboxDrainer;
  logger: Logger;
}

/** What the daemon calls with each final transcript. */
export interface TranscriptSink {
  /** Resolves once the transcript is durably in the outbox (fsynced); delivery follows. */
  publishTranscript(t: TranscriptPayload): Promise<void>;
}

/**
 * Checks a transcript against the published schema (a producer bug fails that one
 * transcript with a clear error instead of reaching subscribers), puts it in the outbox,
 * and nudges the drainer.
 */
export class TranscriptPublisher implements TranscriptSink {
  constructor(private readonly options: TranscriptPublisherOptions) {}

  async publishTranscript(t: TranscriptPayload): Promise<void> {
    const errors = payloadErrors('transcript', t);
    if (errors.length > 0) {
      throw new Error(`transcript ${t?.id ?? '(no id)'} does not match schemas/transcript.schema.json: ${errors.join('; ')}`);
    }
    if (t.siteId !== this.options.siteId) {
      throw new Error(`transcript ${t.id} has siteId ${JSON.stringify(t.siteId)} but this daemon is site ${JSON.stringify(this.options.siteId)}`);
    }
    const topic = siteTopics(this.options.siteId).transcript(t.sourceId);
    const added = await this.options.store.append({ id: t.id, topic, payload: JSON.stringify(t), ...TOPIC_QOS.transcript });
    if (!added) this.options.logger.debug('transcript already in the outbox; not added twice', { id: t.id });
    this.options.drainer.pump();
  }
}
