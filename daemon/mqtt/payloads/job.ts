import { PAYLOAD_VERSION } from './status.js';

/** `earshot/jobs/<group>`: a batch job offered to whichever box of the group has budget. */
export interface JobOfferPayload {
  v: typeof PAYLOAD_VERSION;
  jobId: string;
  /** Site that owns the job and collects the result. */
  offeredBy: string;
  /** 1 on the first offer, +1 each time it is offered again after a lost taker. */
  attempt: number;
  /** What to do: opaque to MQTT, interpreted by the job runner (e.g. an audio file to transcribe). */
  job: Record<string, unknown>;
  ts: string;
  /** After this time (ISO 8601) the offerer offers the job again; older copies are dropped, not handed on. */
  claimBy: string;
}

/** `earshot/jobs/<group>/claim/<jobId>`: a box announces it is working on a job. */
export interface JobClaimPayload {
  v: typeof PAYLOAD_VERSION;
  jobId: string;
  attempt: number;
  takenBy: string;
  ts: string;
}

/**
 * `earshot/jobs/<group>/grant/<takenBy>/<jobId>`: the offering site's answer to a claim. The
 * offerer grants each attempt of a job to exactly one claimant; that is what makes a job
 * run once even when offers are handed back or offered again.
 */
export interface JobGrantPayload {
  v: typeof PAYLOAD_VERSION;
  jobId: string;
  attempt: number;
  takenBy: string;
  granted: boolean;
  ts: string;
}

/**
 * `earshot/jobs/<group>/done/<jobId>`: the result of a job, success or failure; or
 * `released`: the box that was granted the attempt gave it up unfinished (it got too hot),
 * and the offerer offers the job again now rather than when the lease ends. Offerers that
 * predate `released` refuse it by their schema and wait for the lease, as before.
 */
export type JobDonePayload = JobResultPayload | (JobDoneHeader & { status: 'released'; reason: string });

/** A job's result: what an offer resolves with. */
export type JobResultPayload = JobDoneHeader & ({ status: 'ok'; result: unknown } | { status: 'error'; error: string });

interface JobDoneHeader {
  v: typeof PAYLOAD_VERSION;
  jobId: string;
  attempt: number;
  takenBy: string;
  ts: string;
}
