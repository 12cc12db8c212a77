import mqtt from 'mqtt';
import { randomBytes } from 'node:crypto';
import type { MqttConfig } from '../config.js';
import { buildClientOptions } from '../client-options.js';
import { siteTopics, TOPIC_QOS } from '../topics.js';
import type { ReplyPayload } from '../payloads/command.js';
import { signCommand } from './signature.js';

export interface RemoteCallOptions {
  /** Broker settings (url, TLS, credentials) to reach the remote site's broker. */
  config: MqttConfig;
  brokerUrl: string;
  siteId: string;
  key: Buffer;
  timeoutMs: number;
}

/** The remote site answered with an error envelope. */
export class RemoteCommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Calls a control-API method on a remote site over MQTT: subscribes to the reply topic
 * first (so a fast answer is not missed), publishes the signed command, and resolves with
 * the reply's data. Used by `earshot mqtt call` and by any CLI command given `--site`.
 */
export async function callRemote(verb: string, params: Record<string, unknown>, options: RemoteCallOptions): Promise<unknown> {
  const topics = siteTopics(options.siteId);
  const cmd = signCommand(options.key, options.siteId, verb, params);
  const clientOptions = buildClientOptions({ config: options.config, url: options.brokerUrl, clientId: `earshot-cli-${randomBytes(6).toString('hex')}` });
  const client = await mqtt.connectAsync(options.brokerUrl, { ...clientOptions, clean: true, reconnectPeriod: 0, properties: undefined }, false);
  try {
    const replyTopic = topics.reply(cmd.requestId);
    const reply = new Promise<ReplyPayload>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new RemoteCommandError('timeout', `no reply from site ${options.siteId} within ${options.timeoutMs} ms; is earshotd running there with mqtt.commands.enabled, and the same key?`)),
        options.timeoutMs,
      );
      client.on('message', (topic, payload) => {
        if (topic !== replyTopic) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(payload.toString('utf8')) as ReplyPayload);
        } catch {
          reject(new RemoteCommandError('malformed', `site ${options.siteId} sent a reply that is not JSON`));
        }
      });
    });
    await client.subscribeAsync(replyTopic, { qos: 1 });
    await client.publishAsync(topics.cmd(verb), JSON.stringify(cmd), TOPIC_QOS.cmd);
    const r = await reply;
    if (r.status === 'error') throw new RemoteCommandError(r.error.code, `site ${options.siteId} refused "${verb}": ${r.error.code}: ${r.error.message}`);
    return r.data;
  } finally {
    await client.endAsync(true);
  }
}
