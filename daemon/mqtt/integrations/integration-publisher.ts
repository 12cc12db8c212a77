import type { Logger } from '../../log/logger.js';
import type { MqttConfig } from '../config.js';
import type { MqttConnection } from '../connection.js';
import type { TranscriptPayload } from '../payloads/transcript.js';
import { discoveryMessages, lastTranscriptState, lastTranscriptTopic } from './home-assistant.js';
import { HERMES_TEXT_CAPTURED, hermesTextCaptured } from './hermes.js';

export interface IntegrationPublisherOptions {
  config: Pick<MqttConfig, 'homeAssistant' | 'hermes'>;
  siteId: string;
  version: string;
  logger: Logger;
}

/**
 * The optional integrations (Home Assistant discovery, Rhasspy Hermes). Best effort: they are
 * not kept while offline, the transcript topic with its outbox is the reliable path.
 */
export class IntegrationPublisher {
  constructor(private readonly options: IntegrationPublisherOptions) {}

  /** At every connect: the discovery configs (retained, so Home Assistant finds them whenever it starts). */
  onConnect(connection: MqttConnection): void {
    const { config, siteId, version } = this.options;
    if (!config.homeAssistant.enabled) return;
    for (const m of discoveryMessages(siteId, version, config.homeAssistant.discoveryPrefix)) this.send(connection, m.topic, m.payload, true);
  }

  afterTranscript(connection: MqttConnection, t: TranscriptPayload): void {
    const { config, siteId } = this.options;
    if (!connection.connected) return;
    if (config.homeAssistant.enabled) this.send(connection, lastTranscriptTopic(siteId), lastTranscriptState(t), true);
    if (config.hermes.enabled) this.send(connection, HERMES_TEXT_CAPTURED, hermesTextCaptured(t), false);
  }

  private send(connection: MqttConnection, topic: string, payload: unknown, retain: boolean): void {
    // Retained messages go at QoS 1: aedes does not forward a retained QoS 0 publish to live subscribers.
    connection.publish(topic, JSON.stringify(payload), { qos: retain ? 1 : 0, retain }).catch((err) => this.options.logger.warn('integration message not published', { topic, err }));
  }
}
