import type { Logger } from '../../log/logger.js';
import type { MqttConnection, MessageHandler } from '../connection.js';
import { PAYLOAD_VERSION } from '../payloads/status.js';
import type { JobClaimPayload, JobDonePayload, JobGrantPayload, JobOfferPayload } from '../payloads/job.js';
import type { FleetIdentity } from './fleet-identity.js';
import { fleetKeyOf, readFleetMessage, sealFleetMessage, type FleetKey } from './fleet-signature.js';
import { fleetTopics, TOPIC_QOS } from '../topics.js';
import { throttledWarnings, type ThrottledWarnings } from '../../log/throttled-warnings.js';
import { RateLimit } from '../../log/rate-limit.js';
import { PacketTooLargeError } from '../packet-size.js';
import { resultTooLargeError } from './result-too-large.js';

/** Runs one job taken from the group (e.g. transcribes the file it names); its value is the result. */
export type FleetJobRunner = (offer: JobOfferPayload) => Promise<unknown>;

/**
 * A runner's way to end a job without a result: the box gave it up (it got too hot, or it
 * stops). With `handBack` the worker hands the attempt back (a `released` message, not an
 * error, which would reach the offerer as the job's result) and the offerer offers it again
 * at once. A box that stops sends nothing: going offline makes the offerer offer it again
 * just as soon, and a release could bring the new offer back to this box as it goes.
 */
export class FleetJobGivenUp extends Error {
  constructor(
    message: string,
    readonly handBack = true,
  ) {
    super(message);
    this.name = 'FleetJobGivenUp';
  }
}

export interface FleetWorkerOptions {
  /** A connection of its own with a clean session, so the shared subscription dies with this process. */
  connection: MqttConnection;
  group: string;
  siteId: string;
  /**
   * The scheduler's word: may this box take one more job now, counting `waiting` claims it
   * already holds that have not started (claimed or granted, queued for a slot)? Without them
   * an idle box would claim a whole burst of offers before its first job starts.
   */
  hasBudget: (waiting: number) => boolean;
  runJob: FleetJobRunner;
  /** Jobs run at once on this box. */
  maxConcurrent: number;
  /** Jobs claimed and waiting here for a free slot, at most; offers beyond this are handed back. */
  maxHeld: number;
  /** How long to wait for the offerer's grant before forgetting a claim. */
  grantTimeoutMs: number;
  /** Pause before handing an offer back, so boxes without budget do not bounce it in a tight loop. */
  handBackDelayMs: number;
  /** The group's shared key (`mqtt.fleet.keyFile`): messages are signed, and unsigned ones refused. */
  key?: Buffer | null;
  /** This box's own key and the members' (`mqtt.fleet.identity`): each message must come from the member it names. */
  identity?: FleetIdentity | null;
  /** `mqtt.fleet.maxAudioBytes`: bounds the size of the messages read (see fleetMessageLimit). */
  maxAudioBytes?: number;
  logger: Logger;
}

export interface FleetWorkerStats {
  /** Jobs granted to this box. */
  taken: number;
  /** Offers passed on to the group (no budget, or enough held already). */
  handedBack: number;
  /** Claims the offerer gave to another box. */
  denied: number;
  /** Offer copies dropped because their owner has offered the job again since. */
  expired: number;
  failed: number;
  running: number;
  held: number;
}

/** How often a granted job waiting for budget asks the scheduler again. */
const BUDGET_POLL_MS = 500;

/**
 * Takes jobs offered to a site group through the MQTT 5 shared subscription
 * `$share/<group>/earshot/jobs/<group>`: the broker hands each offer to one member. A box
 * without budget (or already holding `maxHeld` jobs) hands the offer back to the group; one
 * with budget claims it at once — so that, should this box die, the offerer knows which
 * jobs to offer again — and runs it when the offerer has granted the claim, a slot is free
 * and the scheduler still has budget, then publishes the result on `done/<jobId>`.
 */
export class FleetWorker {
  /** Claims waiting for their grant, by `<jobId>#<attempt>`: the offerer that alone may grant each, and its answer. */
  private readonly grants = new Map<string, { offeredBy: string; answer: (g: JobGrantPayload) => void }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private handler: MessageHandler | null = null;
  private running = 0;
  private held = 0;
  private readonly ready: JobOfferPayload[] = [];
  private budgetTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly counts = { taken: 0, handedBack: 0, denied: 0, expired: 0, failed: 0 };

  /** Offers and grants that were not taken: their senders set the pace, not us. */
  private readonly ignored: ThrottledWarnings;
  private readonly fleet: FleetKey;
  /** A box without the key in a group that signs, or of the other kind in a move to identities: said once a minute, not per offer. */
  private readonly unkeyed = new RateLimit(1 / 60, 1);

  constructor(private readonly options: FleetWorkerOptions) {
    this.ignored = throttledWarnings(options.logger, 'ignored fleet messages');
    this.fleet = fleetKeyOf(options);
  }

  async start(): Promise<void> {
    const { connection, group, siteId } = this.options;
    const topics = fleetTopics(group);
    this.stopped = false;
    this.handler = (topic, payload) => {
      if (topic === topics.offers) this.onOffer(payload);
      else if (topic.startsWith(topics.grantWildcard(siteId).slice(0, -1))) this.onGrant(payload);
    };
    connection.onMessage(this.handler);
    const subscribe = () =>
      connection
        .subscribe({ [topics.grantWildcard(siteId)]: { qos: 1 }, [topics.sharedOffers]: { qos: 1 } })
        .catch((err) => this.options.logger.warn('could not join the fleet group', { group, err }));
    connection.onConnect(() => void subscribe());
    if (connection.connected) await subscribe();
    this.options.logger.info('joined fleet group', { group, topic: topics.sharedOffers });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.handler) this.options.connection.offMessage(this.handler);
    this.handler = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.budgetTimer) clearTimeout(this.budgetTimer);
    this.budgetTimer = null;
    this.grants.clear();
    this.ready.length = 0;
  }

  stats(): FleetWorkerStats {
    return { ...this.counts, running: this.running, held: this.held };
  }

  private onOffer(raw: Buffer): void {
    const read = readFleetMessage<JobOfferPayload>(this.fleet, 'job', raw);
    if ('problem' in read && !read.otherScheme) {
      this.ignored.warn(`fleet: offer ignored: ${read.problem}`);
      return;
    }
    const offer = 'problem' in read ? read.otherScheme!.value : read.value;
    if ('problem' in read || (!this.fleet.identity && 'idSig' in offer)) {
      // Boxes with identities and boxes without refuse each other's claims and results (a
      // group moving to identities): pass the offer on to one of its offerer's kind.
      if (this.unkeyed.take()) this.options.logger.error(`fleet: offers from boxes ${this.fleet.identity ? 'without' : 'with'} an mqtt.fleet.identity are handed back: this box ${this.fleet.identity ? 'has' : 'has none'}, and the two kinds refuse each other's messages (see README, Fleet identities)`, { group: this.options.group });
      this.handBack(offer, raw);
      return;
    }
    if (!this.fleet.key && 'sig' in offer) {
      // The group signs its messages and this box has no key: its claims would be ignored and
      // the offer held here until it times out. Pass it on, and say what is missing.
      if (this.unkeyed.take()) this.options.logger.error('fleet: this group signs its messages but this box has no key; handing offers back (give it the same mqtt.fleet.keyFile as the others)', { group: this.options.group });
      this.handBack(offer, raw);
      return;
    }
    if (Date.parse(offer.claimBy) < Date.now()) {
      // Its owner has offered it again by now; passing this copy on would only add noise.
      this.counts.expired += 1;
      return;
    }
    const waiting = this.held - this.running;
    if (waiting >= this.options.maxHeld || !this.options.hasBudget(waiting)) {
      this.handBack(offer, raw);
      return;
    }
    this.held += 1;
    void this.claim(offer).then((granted) => {
      if (this.stopped) return;
      if (!granted) {
        this.held -= 1;
        return;
      }
      this.counts.taken += 1;
      this.ready.push(offer);
      this.pump();
    });
  }

  /** Starts granted jobs while slots are free and the scheduler has budget. */
  private pump(): void {
    if (this.stopped) return;
    while (this.ready.length > 0 && this.running < this.options.maxConcurrent) {
      // The job about to start is one of the waiting claims: the question is whether a slot is free for it.
      if (!this.options.hasBudget(0)) {
        if (!this.budgetTimer) {
          this.budgetTimer = setTimeout(() => {
            this.budgetTimer = null;
            this.pump();
          }, BUDGET_POLL_MS);
        }
        return;
      }
      const offer = this.ready.shift()!;
      this.running += 1;
      void this.run(offer).finally(() => {
        this.running -= 1;
        this.held -= 1;
        this.pump();
      });
    }
  }

  private handBack(offer: JobOfferPayload, raw: Buffer): void {
    this.counts.handedBack += 1;
    this.options.logger.debug('fleet: no budget; handing the offer back', { jobId: offer.jobId });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      this.options.connection.publish(fleetTopics(this.options.group).offers, raw, TOPIC_QOS.jobOffer).catch((err) =>
        this.options.logger.warn('fleet: could not hand an offer back; the offerer will offer it again', { jobId: offer.jobId, err }),
      );
    }, this.options.handBackDelayMs);
    this.timers.add(timer);
  }

  private onGrant(raw: Buffer): void {
    // Only the offerer of the job may grant it: with identities, the grant must be signed by it.
    const read = readFleetMessage<JobGrantPayload>(this.fleet, 'job-grant', raw, (g) => this.grants.get(`${g.jobId}#${g.attempt}`)?.offeredBy);
    if ('problem' in read) {
      this.ignored.warn(`fleet: grant ignored: ${read.problem}`);
      return;
    }
    this.grants.get(`${read.value.jobId}#${read.value.attempt}`)?.answer(read.value);
  }

  private waitGrant(offer: JobOfferPayload): Promise<boolean> {
    const key = `${offer.jobId}#${offer.attempt}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.grants.delete(key);
        resolve(false);
      }, this.options.grantTimeoutMs);
      this.timers.add(timer);
      this.grants.set(key, {
        offeredBy: offer.offeredBy,
        answer: (g) => {
          clearTimeout(timer);
          this.timers.delete(timer);
          this.grants.delete(key);
          resolve(g.granted && g.takenBy === this.options.siteId);
        },
      });
    });
  }

  private async claim(offer: JobOfferPayload): Promise<boolean> {
    const { connection, group, siteId, logger } = this.options;
    const granted = this.waitGrant(offer);
    const claim: JobClaimPayload = { v: PAYLOAD_VERSION, jobId: offer.jobId, attempt: offer.attempt, takenBy: siteId, ts: new Date().toISOString() };
    try {
      await connection.publish(fleetTopics(group).claim(offer.jobId), JSON.stringify(sealFleetMessage(this.fleet, 'job-claim', claim)), TOPIC_QOS.jobClaim);
    } catch (err) {
      logger.warn('fleet: could not claim a job', { jobId: offer.jobId, err });
    }
    const ok = await granted;
    if (!ok) {
      this.counts.denied += 1;
      logger.debug('fleet: claim not granted; another box has the job', { jobId: offer.jobId, attempt: offer.attempt });
    }
    return ok;
  }

  private async run(offer: JobOfferPayload): Promise<void> {
    const { siteId, logger } = this.options;
    logger.info('fleet: running a job for the group', { jobId: offer.jobId, attempt: offer.attempt, offeredBy: offer.offeredBy });
    const base = { v: PAYLOAD_VERSION, jobId: offer.jobId, attempt: offer.attempt, takenBy: siteId, ts: '' };
    let done: JobDonePayload;
    try {
      const result = await this.options.runJob(offer);
      done = { ...base, ts: new Date().toISOString(), status: 'ok', result: result ?? null };
    } catch (err) {
      if (err instanceof FleetJobGivenUp) {
        logger.info(`fleet: job given up here${err.handBack ? ' and handed back' : ''}; its offerer offers it again`, { jobId: offer.jobId, attempt: offer.attempt, why: err.message });
        if (!err.handBack) return;
        done = { ...base, ts: new Date().toISOString(), status: 'released', reason: err.message };
      } else {
        this.counts.failed += 1;
        // Always a string (the job-done schema says so): a runner may throw anything.
        done = { ...base, ts: new Date().toISOString(), status: 'error', error: err instanceof Error ? err.message : String(err) };
        logger.warn('fleet: job failed', { jobId: offer.jobId, err });
      }
    }
    if (this.stopped) return;
    try {
      await this.publishDone(done);
    } catch (err) {
      if (!(err instanceof PacketTooLargeError) || done.status !== 'ok') {
        logger.warn('fleet: could not publish a job result; the offerer will offer the job again', { jobId: offer.jobId, err });
        return;
      }
      // Refused by its size, it would be at every try, on every box the job went to next.
      this.counts.failed += 1;
      const error = resultTooLargeError(siteId, err);
      logger.error(`fleet: job ${offer.jobId} done, but its result is too large for the broker; its offerer is sent an error saying so`, { jobId: offer.jobId, bytes: err.bytes, limit: err.limit });
      await this.publishDone({ ...base, ts: new Date().toISOString(), status: 'error', error }).catch((err2: unknown) =>
        logger.warn('fleet: could not publish a job result; the offerer will offer the job again', { jobId: offer.jobId, err: err2 }),
      );
    }
  }

  private async publishDone(done: JobDonePayload): Promise<void> {
    const { connection, group } = this.options;
    await connection.publish(fleetTopics(group).done(done.jobId), JSON.stringify(sealFleetMessage(this.fleet, 'job-done', done)), TOPIC_QOS.jobDone);
  }
}
