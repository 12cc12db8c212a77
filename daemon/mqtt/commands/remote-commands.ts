import type { Logger } from '../../log/logger.js';
import type { MqttConnection, MessageHandler } from '../connection.js';
import type { CommandPayload, ReplyPayload } from '../payloads/command.js';
import { PAYLOAD_VERSION } from '../payloads/status.js';
import { payloadErrors } from '../payload-schemas.js';
import { lastLevel, siteTopics, TOPIC_QOS } from '../topics.js';
import { signatureValid, signReply } from './signature.js';
import { isControlErrorCode } from '../../control/protocol.js';
import { ReplayGuard } from './replay-guard.js';
import { throttledWarnings, type ThrottledWarnings } from '../../log/throttled-warnings.js';
import { PacketTooLargeError } from '../packet-size.js';

/** Runs a control-API method by name; the daemon fills it with its control dispatcher. */
export type CommandDispatcher = (verb: string, params: Record<string, unknown>) => Promise<unknown>;

export type RejectReason = 'malformed' | 'unauthorized' | 'stale' | 'replayed';

export interface RemoteCommandsOptions {
  siteId: string;
  connection: MqttConnection;
  key: Buffer;
  maxSkewSec: number;
  /**
   * `mqtt.commands.maxBytes`: a command longer than this is refused before it is parsed.
   * Parsing and checking a message costs several times its size in memory, and anyone on
   * the broker may publish to the command topic, as big as the broker takes (Mosquitto:
   * 256 MB; one such message took a daemon to 512 MB before it was refused as malformed).
   */
  maxBytes: number;
  dispatch: CommandDispatcher;
  logger: Logger;
}

export interface RemoteCommandStats {
  accepted: number;
  rejected: Record<RejectReason, number>;
}

const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * `earshot/<siteId>/cmd/<verb>` → `reply/<requestId>`. Every command is checked in this
 * order — shape, HMAC signature, freshness and nonce — and only then handed to the
 * dispatcher; anything refused is counted and logged with the reason (at a bounded rate),
 * never acted on and never answered. Only a command that passed every check gets a reply:
 * an answer to anything else would let a client without the key put an error on a real
 * caller's reply topic (republishing its command with a broken signature, or replaying it),
 * ahead of the real answer, and make the daemon publish one message under its trusted
 * namespace for each forged one. The nonce is recorded only after the signature checks, so
 * unsigned noise cannot fill the replay memory.
 */
export class RemoteCommands {
  private guard: ReplayGuard | null = null;
  private handler: MessageHandler | null = null;
  private readonly counts: RemoteCommandStats = { accepted: 0, rejected: { malformed: 0, unauthorized: 0, stale: 0, replayed: 0 } };

  /** Refusals are counted in stats(); the log gets them at a pace the sender cannot set. */
  private readonly refusals: ThrottledWarnings;
  private readonly failures: ThrottledWarnings;

  constructor(private readonly options: RemoteCommandsOptions) {
    this.refusals = throttledWarnings(options.logger, 'refused remote commands');
    this.failures = throttledWarnings(options.logger, 'remote command failures');
  }

  async start(): Promise<void> {
    const topics = siteTopics(this.options.siteId);
    this.guard = new ReplayGuard(this.options.maxSkewSec * 1000, Date.now());
    const prefix = topics.cmd('x').slice(0, -1);
    this.handler = (topic, payload) => {
      // Nothing a sender puts in a command may escape as an unhandled rejection (logged
      // unthrottled, once per message): whatever handle() did not foresee is logged here.
      if (topic.startsWith(prefix)) this.handle(lastLevel(topic), payload).catch((err: unknown) => this.failures.error('remote command could not be handled', { topic, err }));
    };
    const connection = this.options.connection;
    connection.onMessage(this.handler);
    // Subscribe at every connect: the broker may have lost our session while we were away.
    const subscribe = () =>
      connection.subscribe({ [topics.cmdWildcard]: { qos: 1 } }).catch((err) => this.options.logger.warn('could not subscribe to commands', { err }));
    connection.onConnect(() => void subscribe());
    if (connection.connected) await subscribe();
    this.options.logger.info('remote commands enabled', { topic: topics.cmdWildcard });
  }

  async stop(): Promise<void> {
    if (this.handler) this.options.connection.offMessage(this.handler);
    this.handler = null;
    this.guard = null;
  }

  stats(): RemoteCommandStats {
    return { accepted: this.counts.accepted, rejected: { ...this.counts.rejected } };
  }

  /** Checks and runs one command received on `cmd/<verb>`. */
  private async handle(verb: string, raw: Buffer): Promise<void> {
    const log = this.options.logger;
    if (raw.length > this.options.maxBytes) return this.refuse('malformed', verb, null, `${raw.length} bytes, over the ${this.options.maxBytes} of mqtt.commands.maxBytes; not read`);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return this.refuse('malformed', verb, null, 'payload is not JSON');
    }
    const requestId = typeof (body as { requestId?: unknown })?.requestId === 'string' ? (body as { requestId: string }).requestId : null;
    // Named in the log only, to match a refusal with the caller's timeout; never replied to.
    const named = requestId && REQUEST_ID.test(requestId) ? requestId : null;
    const errors = payloadErrors('command', body);
    if (errors.length > 0) return this.refuse('malformed', verb, named, `does not match schemas/command.schema.json: ${errors.join('; ')}`);
    const cmd = body as CommandPayload;
    if (!signatureValid(this.options.key, this.options.siteId, verb, cmd)) return this.refuse('unauthorized', verb, named, 'bad signature');
    const verdict = this.guard?.check(cmd.ts, cmd.nonce) ?? 'stale';
    if (verdict !== 'ok') {
      const why = verdict === 'stale' ? `timestamp ${new Date(cmd.ts).toISOString()} is outside ±${this.options.maxSkewSec} s of this box's clock or before the daemon started` : `nonce ${cmd.nonce} was already used`;
      return this.refuse(verdict, verb, named, why);
    }
    this.counts.accepted += 1;
    log.info('remote command accepted', { verb, requestId: cmd.requestId });
    let reply: ReplyPayload;
    try {
      const data = await this.options.dispatch(verb, cmd.params);
      reply = { v: PAYLOAD_VERSION, requestId: cmd.requestId, status: 'ok', data: data ?? null };
    } catch (err) {
      // A control error keeps its code; anything else (a Node errno code) is `failed`, so
      // every reply stays within the codes schemas/reply.schema.json lists.
      const given = (err as { code?: unknown })?.code;
      const code = isControlErrorCode(given) ? given : 'failed';
      reply = { v: PAYLOAD_VERSION, requestId: cmd.requestId, status: 'error', error: { code, message: (err as Error)?.message ?? String(err) } };
      log.warn('remote command failed', { verb, requestId: cmd.requestId, err });
    }
    await this.sendReply(verb, reply);
  }

  private refuse(reason: RejectReason, verb: string, requestId: string | null, detail: string): void {
    this.counts.rejected[reason] += 1;
    this.refusals.warn(`remote command refused (${reason}): ${detail}`, { verb, requestId: requestId ?? undefined });
  }

  private async sendReply(verb: string, reply: ReplyPayload): Promise<void> {
    const topic = siteTopics(this.options.siteId).reply(reply.requestId);
    const signed = (r: ReplyPayload): string => JSON.stringify(signReply(this.options.key, this.options.siteId, verb, r));
    try {
      await this.options.connection.publish(topic, signed(reply), TOPIC_QOS.reply);
    } catch (err) {
      this.options.logger.warn('could not publish a command reply', { requestId: reply.requestId, err });
      // An answer too big for the broker (a long `jobs list` on a busy box): the caller hears
      // why, instead of waiting out its timeout with a list of causes that are not it.
      if (!(err instanceof PacketTooLargeError) || reply.status !== 'ok') return;
      const message = `the answer is ${err.bytes} bytes, ${err.tooLargeFor}: ask for less (jobs list --limit 20, say) or ask on the box itself (its control socket)`;
      const tooLarge: ReplyPayload = { v: PAYLOAD_VERSION, requestId: reply.requestId, status: 'error', error: { code: 'too_large', message } };
      await this.options.connection.publish(topic, signed(tooLarge), TOPIC_QOS.reply).catch((e: unknown) => this.options.logger.warn('could not publish a command reply', { requestId: reply.requestId, err: e }));
    }
  }
}
