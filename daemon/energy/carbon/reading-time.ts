import { parseTime } from './forecast-parsers.js';

/**
 * How far ahead of this box's clock a message's `at` (or a signed reading's `ts`) may be:
 * clocks a little apart are taken as now. Further ahead, the value would stay fresh for as
 * long (a year 2099 reading, for ever), so it is refused as the publisher's clock or payload
 * being wrong.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * When a message's reading was taken: its `at`, or `otherwiseMs` without one (when it
 * arrived, or when it was signed). An `at` within MAX_CLOCK_SKEW_MS ahead counts as now, so
 * that a value never stays fresh past its age.
 */
export function readingTime(at: unknown, nowMs: number, otherwiseMs = nowMs): number {
  if (at === undefined) return Math.min(otherwiseMs, nowMs);
  const atMs = parseTime(at);
  if (atMs === undefined) throw new Error(`"at" must be an ISO 8601 time, got ${JSON.stringify(at)}`);
  if (atMs - nowMs > MAX_CLOCK_SKEW_MS) {
    throw new Error(`"at" ${JSON.stringify(at)} is ${Math.round((atMs - nowMs) / 60_000)} min ahead of this box's clock (more than ${MAX_CLOCK_SKEW_MS / 60_000} min): fix the publisher's clock (NTP), or leave "at" out (then the time it arrives, or the time it was signed)`);
  }
  return Math.min(atMs, nowMs);
}
