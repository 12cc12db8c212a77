import mqtt from 'mqtt';
import { randomBytes } from 'node:crypto';
import type { MqttConfig } from '../config.js';
import { buildClientOptions } from '../client-options.js';
import { siteTopics, TOPIC_QOS } from '../topics.js';
import type { ReplyPayload } from '../payloads/command.js';
import { readPayload } from '../payload-schemas.js';
import { replySignatureValid, signCommand } from './signature.js';

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
 * Why a site may not answer: it replies only to commands it accepted, and says nothing to
 * the sender about one it refused (its log does), so a timeout stands for every refusal.
 */
function noReplyMessage(options: RemoteCallOptions, ignored: number, unsigned: number): string {
  return [
    `no reply from site ${options.siteId} within ${options.timeoutMs} ms. A site answers only the commands it accepts; likely causes:`,
    '  - earshotd there is not running, or not connected to this broker',
    '  - mqtt.commands.enabled is off there',
    "  - the key (--key-file) differs from the site's mqtt.commands.keyFile",
    `  - no box has site id ${options.siteId} (--site)`,
    "  - this machine's clock and the box's differ by more than its mqtt.commands.maxSkewSec",
    'The site logs each command it refuses, with the reason (earshot:mqtt:cmd).',
    ...(ignored > 0 ? [`${ignored} message(s) on the reply topic were ignored: not a valid reply to this command, or not signed with the key.`] : []),
    ...(unsigned > 0 ? [`${unsigned} of them had no signature at all, as an earshotd from before replies were signed sends: upgrade the site, then call again.`] : []),
  ].join('\n');
}

/**
 * Calls a control-API method on a remote site over MQTT: subscribes to the reply topic
 * first (so a fast answer is not missed), publishes the signed command, and resolves with
 * the reply's data. Used by `earshot mqtt call` and by any CLI command given `--site`.
 * Only a reply that matches schemas/reply.schema.json, names this request and is signed
 * with the key counts: anything else on the topic (not from the site) is skipped, not taken
 * as the answer.
 */
export async function callRemote(verb: string, params: Record<string, unknown>, options: RemoteCallOptions): Promise<unknown> {
  const topics = siteTopics(options.siteId);
  const cmd = signCommand(options.key, options.siteId, verb, params);
  const clientOptions = buildClientOptions({ config: options.config, url: options.brokerUrl, clientId: `earshot-cli-${randomBytes(6).toString('hex')}` });
  const client = await mqtt.connectAsync(options.brokerUrl, { ...clientOptions, clean: true, reconnectPeriod: 0, properties: undefined }, false);
  try {
    const replyTopic = topics.reply(cmd.requestId);
    const reply = new Promise<ReplyPayload>((resolve, reject) => {
      let ignored = 0;
      let unsigned = 0;
      const timer = setTimeout(() => reject(new RemoteCommandError('timeout', noReplyMessage(options, ignored, unsigned))), options.timeoutMs);
      client.on('message', (topic, payload) => {
        if (topic !== replyTopic) return;
        const read = readPayload<ReplyPayload>('reply', payload);
        if ('problem' in read || read.value.requestId !== cmd.requestId || !replySignatureValid(options.key, options.siteId, verb, read.value)) {
          ignored += 1;
          if (!('problem' in read) && read.value.sig === undefined) unsigned += 1;
          return;
        }
        clearTimeout(timer);
        resolve(read.value);
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
