import type { StatusPayload } from './payloads/status.js';
import type { TranscriptPayload } from './payloads/transcript.js';
import type { PartialPayload } from './payloads/partial.js';
import type { TelemetryPayload } from './payloads/telemetry.js';
import type { CommandPayload, ReplyPayload } from './payloads/command.js';
import type { JobClaimPayload, JobDonePayload, JobGrantPayload, JobOfferPayload } from './payloads/job.js';

/**
 * Every topic earshotd publishes or listens to, with its payload type, QoS and retain flag,
 * in one map (the zigbee2mqtt `api.ts` idea). Topic builders below are the only place
 * topic strings are written.
 */
export interface TopicPayloads {
  status: StatusPayload;
  transcript: TranscriptPayload;
  partial: PartialPayload;
  telemetry: TelemetryPayload;
  cmd: CommandPayload;
  reply: ReplyPayload;
  jobOffer: JobOfferPayload;
  jobClaim: JobClaimPayload;
  jobGrant: JobGrantPayload;
  jobDone: JobDonePayload;
}

export type TopicKind = keyof TopicPayloads;

export const TOPIC_QOS: Record<TopicKind, { qos: 0 | 1; retain: boolean }> = {
  status: { qos: 1, retain: true },
  transcript: { qos: 1, retain: false },
  partial: { qos: 0, retain: false },
  telemetry: { qos: 0, retain: false },
  cmd: { qos: 1, retain: false },
  reply: { qos: 1, retain: false },
  jobOffer: { qos: 1, retain: false },
  jobClaim: { qos: 1, retain: false },
  jobGrant: { qos: 1, retain: false },
  jobDone: { qos: 1, retain: false },
};

export const TOPIC_ROOT = 'earshot';

/**
 * Why the broker would refuse `topic` as a topic name, or undefined: MQTT forbids wildcards
 * and U+0000 there, and brokers (Mosquitto) also refuse control characters and Unicode
 * non-characters as malformed UTF-8, by dropping the connection.
 */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'empty';
  if (/[+#]/.test(topic)) return "it holds a wildcard ('+' or '#')";
  if (/[\u0000-\u001f\u007f-\u009f\ufdd0-\ufdef\ufffe\uffff]/.test(topic)) return 'it holds a control character or a Unicode non-character';
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(topic)) return 'it holds a lone surrogate (not UTF-8)';
  if (Buffer.byteLength(topic, 'utf8') > 65535) return 'longer than 65535 bytes';
  return undefined;
}

/** A topic level must not contain separators, wildcards or what a broker refuses. */
export function checkTopicLevel(what: string, value: string): string {
  const problem = value.includes('/') ? "it holds a '/'" : topicNameProblem(value);
  if (problem) {
    throw new Error(`${what} ${JSON.stringify(value)} cannot be used in an MQTT topic (${problem}): it must be non-empty and contain no '/', '+', '#' or control characters`);
  }
  return value;
}

/** Topic names for one site: `earshot/<siteId>/...`. */
export function siteTopics(siteId: string) {
  const base = `${TOPIC_ROOT}/${checkTopicLevel('site id', siteId)}`;
  return {
    base,
    status: `${base}/status`,
    transcript: (sourceId: string) => `${base}/transcript/${checkTopicLevel('source id', sourceId)}`,
    partial: (sourceId: string) => `${base}/partial/${checkTopicLevel('source id', sourceId)}`,
    telemetry: `${base}/telemetry`,
    cmd: (verb: string) => `${base}/cmd/${checkTopicLevel('command verb', verb)}`,
    cmdWildcard: `${base}/cmd/+`,
    reply: (requestId: string) => `${base}/reply/${checkTopicLevel('request id', requestId)}`,
  };
}

/** Topics of a fleet group: offers go to the group, claims and results to sub-topics. */
export function fleetTopics(group: string) {
  const offers = `${TOPIC_ROOT}/jobs/${checkTopicLevel('fleet group', group)}`;
  return {
    offers,
    /** MQTT 5 shared subscription: the broker hands each offer to one member of the group. */
    sharedOffers: `$share/${group}/${offers}`,
    claim: (jobId: string) => `${offers}/claim/${checkTopicLevel('job id', jobId)}`,
    done: (jobId: string) => `${offers}/done/${checkTopicLevel('job id', jobId)}`,
    grant: (takenBy: string, jobId: string) => `${offers}/grant/${checkTopicLevel('site id', takenBy)}/${checkTopicLevel('job id', jobId)}`,
    claimWildcard: `${offers}/claim/+`,
    doneWildcard: `${offers}/done/+`,
    grantWildcard: (takenBy: string) => `${offers}/grant/${checkTopicLevel('site id', takenBy)}/+`,
  };
}

/** Every site's status, for watching who goes offline. */
export const ALL_STATUS = `${TOPIC_ROOT}/+/status`;

/** The site id in `earshot/<siteId>/status`, or null for another topic. */
export function statusSite(topic: string): string | null {
  const m = /^earshot\/([^/]+)\/status$/.exec(topic);
  return m ? m[1]! : null;
}

/** The last level of a topic (`cmd/<verb>` → verb). */
export function lastLevel(topic: string): string {
  return topic.slice(topic.lastIndexOf('/') + 1);
}
