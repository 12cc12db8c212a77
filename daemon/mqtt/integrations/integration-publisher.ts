import type { Logger } from '../../log/logger.js';
import type { MqttConfig } from '../config.js';
import type { MqttConnection } from '../connection.js';
import type { TranscriptPayload } from '../payloads/transcript.js';
import { discoveryMessages, lastTranscriptState, lastTranscriptTopic } from './home-assistant.js';
import { HERMES_TEXT_CAPTURED, hermesTextCaptured } from './hermes.js';
import { HERMES_START_LISTENING, HERMES_STOP_LISTENING, HermesSessions } from './hermes-sessions.js';

export interface IntegrationPublisherOptions {
  config: Pick<MqttConfig, 'homeAssistant' | 'hermes'>;
  siteId: string;
  version: string;
  /** Ids of the daemon's live sources, whose speech answers Hermes' listening sessions. */
  liveSources: readonly string[];
  logger: Logger;
}

/**
 * The optional integrations (Home Assistant discovery, Rhasspy Hermes). Best effort: they are
 * not kept while offline, the transcript topic with its outbox is the reliable path.
 */
export class IntegrationPublisher {
  /** Rhasspy's listening sessions, when Hermes is on. */
  private readonly hermesSessions: HermesSessions | null;

  constructor(private readonly options: IntegrationPublisherOptions) {
    const { hermes } = options.config;
    this.hermesSessions = hermes.enabled
      ? new HermesSessions({ siteId: hermes.siteId ?? options.siteId, sources: hermes.sources, liveSources: options.liveSources, listenTimeoutMs: hermes.listenTimeoutSec * 1000, logger: options.logger })
      : null;
  }

  /** Listens for what the integrations answer (Hermes' listening requests), at every connect. */
  async start(connection: MqttConnection): Promise<void> {
    const sessions = this.hermesSessions;
    if (!sessions) return;
    connection.onMessage((topic, payload, packet) => sessions.onMessage(topic, payload, packet.retain));
    // At every connect: the broker may have lost the session while the daemon was away.
    const subscribe = () =>
      connection
        .subscribe({ [HERMES_START_LISTENING]: { qos: 0 }, [HERMES_STOP_LISTENING]: { qos: 0 } })
        .catch((err) => this.options.logger.warn('could not subscribe to Hermes listening requests', { err }));
    connection.onConnect(() => void subscribe());
    if (connection.connected) await subscribe();
  }

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
    if (this.hermesSessions) this.send(connection, HERMES_TEXT_CAPTURED, hermesTextCaptured(t, this.hermesSessions.claim(t)), false);
  }

  private send(connection: MqttConnection, topic: string, payload: unknown, retain: boolean): void {
    // Retained messages go at QoS 1: aedes does not forward a retained QoS 0 publish to live subscribers.
    connection.publish(topic, JSON.stringify(payload), { qos: retain ? 1 : 0, retain }).catch((err) => this.options.logger.warn('integration message not published', { topic, err }));
  }
}
