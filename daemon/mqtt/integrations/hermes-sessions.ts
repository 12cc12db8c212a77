import type { Logger } from '../../log/logger.js';
import { throttledWarnings } from '../../log/throttled-warnings.js';
import type { TranscriptPayload } from '../payloads/transcript.js';

/** Rhasspy's dialogue manager asks the ASR of a site to listen for one utterance of a session. */
export const HERMES_START_LISTENING = 'hermes/asr/startListening';
/** And tells it to stop (the session ended, timed out, or has its text). */
export const HERMES_STOP_LISTENING = 'hermes/asr/stopListening';

/** Far above a real startListening (a few hundred bytes); what is longer is not read. */
const MAX_MESSAGE_BYTES = 16 * 1024;
const MAX_ID_LENGTH = 256;

/** A listening session of a Hermes site, as startListening opened it. */
export interface HermesSession {
  siteId: string;
  sessionId: string;
  wakewordId: string | null;
  lang: string | null;
  /** When the daemon was asked to listen (its own clock, as transcripts' `endedAt`). */
  sinceMs: number;
  /** The same moment on the monotonic clock, which the time limit is counted on. */
  sinceMonotonicMs: number;
}

export interface HermesSessionsOptions {
  /** The Hermes site whose microphone this box hears. */
  siteId: string;
  /** Live sources that are that microphone; empty = every live source. */
  sources: readonly string[];
  /** Ids of the daemon's live sources: with none, no request can be answered. */
  liveSources: readonly string[];
  listenTimeoutMs: number;
  logger: Logger;
  /** The wall clock transcripts are dated by. */
  clock?: () => number;
  /** Counts the time limit: an NTP step of the wall clock neither ends a session early nor keeps it open. */
  monotonicClock?: () => number;
}

/**
 * Rhasspy's dialogue manager acts on a `hermes/asr/textCaptured` only when its `sessionId` is
 * the session it is listening in (after a wake word, or a `startSession`); any other text it
 * ignores. It opens that listening with `hermes/asr/startListening` to the site's ASR. Earshot
 * hears all the time, so it keeps the site's open session and gives it the first final of live
 * speech on the site's microphones that ends after the request: speech that ended before (the
 * wake word itself, said with a pause after it) is not the answer. One utterance per request,
 * as Rhasspy's ASRs do (it asks again to continue a session); a stopListening or the time
 * limit closes it unanswered.
 */
export class HermesSessions {
  private open: HermesSession | null = null;
  /** Whoever publishes on the Hermes topics sets the pace of bad messages; the log does not follow it. */
  private readonly ignored;

  constructor(private readonly options: HermesSessionsOptions) {
    this.ignored = throttledWarnings(options.logger, 'ignored Hermes messages');
  }

  /**
   * A message on startListening or stopListening (other topics are not these sessions').
   * `retained`: the broker kept it and hands it over at subscribe (MQTT 3.3.1.3), so it was
   * sent before this connection, maybe days ago: no one is waiting for its session now.
   */
  onMessage(topic: string, payload: Buffer, retained = false): void {
    if (topic !== HERMES_START_LISTENING && topic !== HERMES_STOP_LISTENING) return;
    // An empty message is how a retained one is cleared: no request, nothing to say.
    if (payload.length === 0) return;
    if (retained) return void this.ignored.warn('Hermes message ignored', { topic, reason: 'retained: a listening request is for the session open when it is sent, not for whoever subscribes later; clear it with an empty retained message on the topic' });
    const request = this.read(topic, payload);
    // Other sites share the broker: their sessions are not this box's to answer.
    if (request === undefined || request.siteId !== this.options.siteId) return;
    if (topic === HERMES_STOP_LISTENING) {
      if (this.open?.sessionId === request.sessionId) this.open = null;
      return;
    }
    // Rhasspy waits out its timeout for an answer that cannot come: say why, where it is looked for.
    if (this.options.sources.length === 0 && this.options.liveSources.length === 0) {
      return void this.ignored.warn('Hermes listening session not answered: this daemon has no live source, and only live speech answers one (add a command or socket source for the site\'s microphone)', { siteId: request.siteId, sessionId: request.sessionId });
    }
    this.open = { ...request, sinceMs: this.now(), sinceMonotonicMs: this.monotonicNow() };
    this.options.logger.debug('Hermes session listening', { siteId: request.siteId, sessionId: request.sessionId });
  }

  /** The session a final transcript answers, now closed; undefined when it answers none. */
  claim(t: TranscriptPayload): HermesSession | undefined {
    const session = this.open;
    if (session === null) return undefined;
    if (this.monotonicNow() - session.sinceMonotonicMs > this.options.listenTimeoutMs) {
      this.open = null;
      return undefined;
    }
    // A recording's speech (spool folder, jobs submit) is no one speaking to the site now.
    if (t.recording !== undefined) return undefined;
    const { sources } = this.options;
    if (sources.length > 0 && !sources.includes(t.sourceId)) return undefined;
    if (!(Date.parse(t.endedAt) >= session.sinceMs)) return undefined;
    this.open = null;
    return session;
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private monotonicNow(): number {
    return (this.options.monotonicClock ?? (() => performance.now()))();
  }

  private read(topic: string, payload: Buffer): Omit<HermesSession, 'sinceMs' | 'sinceMonotonicMs'> | undefined {
    const refuse = (reason: string): undefined => void this.ignored.warn('Hermes message ignored', { topic, reason });
    if (payload.length > MAX_MESSAGE_BYTES) return refuse(`${payload.length} bytes, over the ${MAX_MESSAGE_BYTES} a Hermes request may have; not read`);
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return refuse('payload is not JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse('payload is not a JSON object');
    const { siteId, sessionId, wakewordId, lang } = body as Record<string, unknown>;
    if (!isId(siteId)) return refuse(`siteId must be a string of 1 to ${MAX_ID_LENGTH} characters`);
    if (!isId(sessionId)) return refuse(`sessionId must be a string of 1 to ${MAX_ID_LENGTH} characters`);
    return { siteId, sessionId, wakewordId: isId(wakewordId) ? wakewordId : null, lang: isId(lang) ? lang : null };
  }
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}
