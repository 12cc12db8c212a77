import type { Logger } from '../../log/logger.js';
import type { MqttConnection, MessageHandler } from '../connection.js';
import { PAYLOAD_VERSION, presenceSequence } from '../payloads/status.js';
import type { StatusPayload } from '../payloads/status.js';
import type { JobClaimPayload, JobDonePayload, JobGrantPayload, JobOfferPayload, JobResultPayload } from '../payloads/job.js';
import type { FleetIdentity } from './fleet-identity.js';
import { fleetKeyOf, readFleetMessage, sealFleetMessage, type FleetKey } from './fleet-signature.js';
import { ALL_STATUS, checkTopicLevel, fleetTopics, lastLevel, statusSite, TOPIC_QOS } from '../topics.js';
import { throttledWarnings, type ThrottledWarnings } from '../../log/throttled-warnings.js';
import { PacketTooLargeError } from '../packet-size.js';

/** An unclaimed job goes out again on a member's offline status at most this often. */
const MIN_UNCLAIMED_REOFFER_MS = 1000;
const MAX_SITES_REMEMBERED = 4096;
const MAX_GONE_REMEMBERED = 16_384;

export interface FleetOffererOptions {
  connection: MqttConnection;
  group: string;
  siteId: string;
  /** A granted job not done within this is offered again (its taker is presumed stuck). */
  leaseMs: number;
  /** An offer nobody claimed within this is offered again (no member online, or lost in a dead session). */
  claimTimeoutMs: number;
  /** The group's shared key (`mqtt.fleet.keyFile`): messages are signed, and unsigned ones refused. */
  key?: Buffer | null;
  /** This box's own key and the members' (`mqtt.fleet.identity`): each message must come from the member it names. */
  identity?: FleetIdentity | null;
  /** `mqtt.fleet.maxAudioBytes`: bounds the size of the messages read (see fleetMessageLimit). */
  maxAudioBytes?: number;
  logger: Logger;
}

interface Outstanding {
  offer: JobOfferPayload;
  grantedTo: string | null;
  /** `<site>#<attempt>` of every attempt granted: a result is taken only for one of them. */
  grantees: Set<string>;
  since: number;
  resolve: (done: JobResultPayload) => void;
}

/** What the offerer keeps of a site's status: the last that counted, and when its newest `online` was made. */
interface SiteStatus {
  state: StatusPayload['state'];
  presence: string | undefined;
  onlineTs: string | undefined;
  /** The newest online's place in the box's connection sequence, when its presence carries one. */
  onlineSequence: number | undefined;
}

export interface FleetOffererStats {
  outstanding: number;
  granted: number;
  reoffered: number;
  done: number;
}

/**
 * The site that owns a backlog offers jobs to its group and is the one authority on who
 * runs each: it grants every attempt of a job to the first claimant only, offers a job again
 * (attempt + 1, so claims for the old attempt are refused) when its taker hands it back, when
 * the connection its taker claimed under goes offline (the broker publishes that
 * connection's last will) or the taker overruns the lease, and resolves each job at its
 * first result.
 */
export class FleetOfferer {
  private readonly jobs = new Map<string, Outstanding>();
  /** The last status heard from each site that counts (see onStatus). */
  private readonly sites = new Map<string, SiteStatus>();
  /** Presences seen offline: a connection that went never comes back, so its `online` again is a replay. */
  private readonly gone = new Set<string>();
  private handler: MessageHandler | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly counts = { granted: 0, reoffered: 0, done: 0 };

  /** Claims and results that were not taken: their senders set the pace, not us. */
  private readonly ignored: ThrottledWarnings;
  private readonly fleet: FleetKey;

  constructor(private readonly options: FleetOffererOptions) {
    this.ignored = throttledWarnings(options.logger, 'ignored fleet messages');
    this.fleet = fleetKeyOf(options);
  }

  async start(): Promise<void> {
    const { connection, group } = this.options;
    const topics = fleetTopics(group);
    const claimPrefix = topics.claimWildcard.slice(0, -1);
    const donePrefix = topics.doneWildcard.slice(0, -1);
    this.handler = (topic, payload) => {
      if (topic.startsWith(claimPrefix)) this.onClaim(lastLevel(topic), payload);
      else if (topic.startsWith(donePrefix)) this.onDone(lastLevel(topic), payload);
      else {
        const site = statusSite(topic);
        if (site) this.onStatus(site, payload);
      }
    };
    connection.onMessage(this.handler);
    const subscribe = () =>
      connection
        .subscribe({ [topics.claimWildcard]: { qos: 1 }, [topics.doneWildcard]: { qos: 1 }, [ALL_STATUS]: { qos: 1 } })
        .catch((err) => this.options.logger.warn('fleet: could not subscribe to claims and results', { err }));
    connection.onConnect(() => void subscribe());
    if (connection.connected) await subscribe();
    const every = Math.max(100, Math.min(this.options.claimTimeoutMs, this.options.leaseMs) / 4);
    this.timer = setInterval(() => this.sweep(), every);
  }

  async stop(): Promise<void> {
    if (this.handler) this.options.connection.offMessage(this.handler);
    this.handler = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  stats(): FleetOffererStats {
    let granted = 0;
    for (const j of this.jobs.values()) if (j.grantedTo) granted += 1;
    return { outstanding: this.jobs.size, granted, reoffered: this.counts.reoffered, done: this.counts.done };
  }

  /** Offers a job to the group; resolves with its first result. */
  offer(jobId: string, job: Record<string, unknown>): Promise<JobResultPayload> {
    checkTopicLevel('job id', jobId);
    if (this.jobs.has(jobId)) return Promise.reject(new Error(`job ${jobId} is already offered`));
    return new Promise((resolve) => {
      const now = Date.now();
      const offer: JobOfferPayload = { v: PAYLOAD_VERSION, jobId, offeredBy: this.options.siteId, attempt: 1, job, ts: new Date(now).toISOString(), claimBy: new Date(now + this.options.claimTimeoutMs).toISOString() };
      this.jobs.set(jobId, { offer, grantedTo: null, grantees: new Set(), since: Date.now(), resolve });
      this.publishOffer(offer);
    });
  }

  private publishOffer(offer: JobOfferPayload): void {
    this.options.connection
      .publish(fleetTopics(this.options.group).offers, JSON.stringify(sealFleetMessage(this.fleet, 'job', offer)), TOPIC_QOS.jobOffer)
      .catch((err) => {
        if (err instanceof PacketTooLargeError) return this.tooLarge(offer, err);
        this.options.logger.warn('fleet: offer not published; it is retried by the sweep', { jobId: offer.jobId, err });
      });
  }

  /**
   * An offer the broker would refuse by its size is refused at every try: the job ends now,
   * failed with the reason, rather than being offered again for ever while it holds its
   * bytes of the group's outstanding limit.
   */
  private tooLarge(offer: JobOfferPayload, err: PacketTooLargeError): void {
    const job = this.jobs.get(offer.jobId);
    // Ended meanwhile (a result came), or a newer attempt is out: that one answers for the job.
    if (!job || job.offer.attempt !== offer.attempt) return;
    const error = `fleet offer not sent: its ${err.bytes}-byte MQTT packet is ${err.tooLargeFor}; submit the file without --fleet to transcribe it here, or raise the broker's ${err.limit === null ? 'limit' : 'max_packet_size (and mqtt.maxPacketBytes, if set)'}`;
    this.options.logger.error(`fleet: job ${offer.jobId} failed: ${error}`, { jobId: offer.jobId, bytes: err.bytes, limit: err.limit });
    this.jobs.delete(offer.jobId);
    this.counts.done += 1;
    job.resolve({ v: PAYLOAD_VERSION, jobId: offer.jobId, attempt: offer.attempt, takenBy: this.options.siteId, ts: new Date().toISOString(), status: 'error', error });
  }

  private reoffer(job: Outstanding, why: string): void {
    const now = Date.now();
    const offer = { ...job.offer, attempt: job.offer.attempt + 1, ts: new Date(now).toISOString(), claimBy: new Date(now + this.options.claimTimeoutMs).toISOString() };
    this.options.logger.info(`fleet: offering job again (${why})`, { jobId: offer.jobId, attempt: offer.attempt, previousTaker: job.grantedTo ?? undefined });
    job.offer = offer;
    job.grantedTo = null;
    job.since = Date.now();
    this.counts.reoffered += 1;
    this.publishOffer(offer);
  }

  private onClaim(jobId: string, raw: Buffer): void {
    const job = this.jobs.get(jobId);
    // Someone else's job in the same group: its own offerer answers.
    if (!job) return;
    const claim = this.received<JobClaimPayload>('job-claim', jobId, raw);
    if (!claim) return;
    let granted = false;
    if (claim.attempt === job.offer.attempt) {
      if (job.grantedTo === null) {
        job.grantedTo = claim.takenBy;
        job.grantees.add(`${claim.takenBy}#${claim.attempt}`);
        job.since = Date.now();
        this.counts.granted += 1;
        granted = true;
      } else {
        granted = job.grantedTo === claim.takenBy;
      }
    }
    const grant: JobGrantPayload = { v: PAYLOAD_VERSION, jobId: claim.jobId, attempt: claim.attempt, takenBy: claim.takenBy, granted, ts: new Date().toISOString() };
    this.options.connection
      .publish(fleetTopics(this.options.group).grant(claim.takenBy, claim.jobId), JSON.stringify(sealFleetMessage(this.fleet, 'job-grant', grant)), TOPIC_QOS.jobGrant)
      .catch((err) => this.options.logger.warn('fleet: grant not published', { jobId: claim.jobId, err }));
  }

  private onDone(jobId: string, raw: Buffer): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    const done = this.received<JobDonePayload>('job-done', jobId, raw);
    if (!done) return;
    if (!job.grantees.has(`${done.takenBy}#${done.attempt}`)) {
      this.ignored.warn('fleet: result for an attempt that was never granted to its sender; ignored', { jobId, takenBy: done.takenBy, attempt: done.attempt });
      return;
    }
    if (done.status === 'released') {
      // Only the holder of the current attempt can hand it back: a late or replayed release
      // of an earlier attempt must not take the job from the box that has it now.
      if (done.attempt === job.offer.attempt && job.grantedTo === done.takenBy) this.reoffer(job, `${done.takenBy} handed it back: ${done.reason}`);
      return;
    }
    this.jobs.delete(jobId);
    this.counts.done += 1;
    job.resolve(done);
  }

  private onStatus(site: string, raw: Buffer): void {
    // Every site's status comes here, from boxes of other groups and of none too. With a key,
    // only one signed by this group counts; and only for the site it names, so a signed status
    // cannot be replayed on another box's topic.
    const read = readFleetMessage<StatusPayload>(this.fleet, 'status', raw);
    if (!('value' in read) || read.value.siteId !== site) return;
    const status = read.value;
    const before = this.sites.get(site);
    if (!this.isCurrent(status, before)) return;
    this.remember(site, status, before);
    if (status.state !== 'offline') return;
    if (status.presence !== undefined) this.forget(status.presence);
    // A box counts as gone once, when it was seen online: its granted jobs go out again now,
    // not at the end of their lease (each attempt is granted once, so a job runs once).
    if (before?.state !== 'online') return;
    const now = Date.now();
    for (const job of this.jobs.values()) {
      if (job.grantedTo === site) this.reoffer(job, `${site} went offline`);
      else if (job.grantedTo === null && now - job.since >= MIN_UNCLAIMED_REOFFER_MS) {
        // The broker does not say which member a shared-subscription offer went to: the lost
        // box may have been holding it. At most once a second: without a key anyone may send
        // a status, and this only speeds up what the claim timeout does anyway.
        this.reoffer(job, `${site} went offline`);
      }
    }
  }

  /**
   * Whether a status says something about the box as it is now. Each connection of a box has
   * its own presence, so an `offline` of another connection than the one seen online is late
   * (the broker published an old will after the box was back) or replayed: the box is up, and
   * its jobs must not run twice. An `online` of a connection seen offline, or older than the
   * online already known, is replayed. Statuses without a presence (older boxes) are taken at
   * their word.
   */
  private isCurrent(status: StatusPayload, before: SiteStatus | undefined): boolean {
    const { presence } = status;
    if (presence === undefined || before?.presence === undefined) return true;
    if (status.state === 'offline') return before.state !== 'online' || before.presence === presence;
    if (this.gone.has(presence)) return false;
    // Older than the newest online known, also while the box is offline (its fleet
    // connection may still hold a job): an old pair replayed then must not take it back.
    // "Older" by the box's connection sequence when both carry one; by its clock otherwise,
    // which a step back (NTP) makes wrong until the lease brings the jobs back.
    if (before.presence === presence) return true;
    const sequence = presenceSequence(presence);
    if (sequence !== undefined && before.onlineSequence !== undefined) return sequence >= before.onlineSequence;
    return before.onlineTs === undefined || Date.parse(status.ts) >= Date.parse(before.onlineTs);
  }

  private remember(site: string, status: StatusPayload, before: SiteStatus | undefined): void {
    // Anyone may invent site names: remember a bounded number, the most recent.
    this.sites.delete(site);
    const online = status.state === 'online';
    this.sites.set(site, {
      state: status.state,
      presence: status.presence,
      onlineTs: online ? status.ts : before?.onlineTs,
      onlineSequence: online ? presenceSequence(status.presence) : before?.onlineSequence,
    });
    if (this.sites.size > MAX_SITES_REMEMBERED) this.sites.delete(this.sites.keys().next().value!);
  }

  private forget(presence: string): void {
    this.gone.add(presence);
    if (this.gone.size > MAX_GONE_REMEMBERED) this.gone.delete(this.gone.values().next().value!);
  }

  /**
   * A claim or result as its schema says, signed when the group has a key, about the job its
   * topic names; anything else is logged and ignored.
   */
  private received<T extends { jobId: string }>(schema: 'job-claim' | 'job-done', jobId: string, raw: Buffer): T | undefined {
    const read = readFleetMessage<T>(this.fleet, schema, raw);
    if ('value' in read && read.value.jobId === jobId) return read.value;
    const problem = 'problem' in read ? read.problem : `/jobId: ${JSON.stringify(read.value.jobId)} is not the topic's job id`;
    this.ignored.warn(`fleet: ${schema} message ignored: ${problem}`, { jobId });
    return undefined;
  }

  private sweep(now = Date.now()): void {
    for (const job of this.jobs.values()) {
      if (job.grantedTo === null && now - job.since > this.options.claimTimeoutMs) this.reoffer(job, 'nobody claimed it');
      else if (job.grantedTo !== null && now - job.since > this.options.leaseMs) this.reoffer(job, `lease of ${job.grantedTo} expired`);
    }
  }
}
