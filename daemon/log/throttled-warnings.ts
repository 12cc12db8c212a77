import type { LogFields, LogMessage, Logger } from './logger.js';
import { RateLimit } from './rate-limit.js';

/**
 * Warnings about input the daemon does not control (messages from the broker) come at the
 * sender's pace: a client flooding a topic with garbage must not flood the journal too, nor
 * push out everything else the daemon logs (journald's own rate limit would drop those
 * alike). A burst passes; past it, warnings are counted and one line a second says how many
 * were left out.
 */
export interface ThrottledWarnings {
  warn(message: LogMessage, fields?: LogFields): void;
  /** The same budget, at ERROR: for a fault that can repeat at someone else's pace. */
  error(message: LogMessage, fields?: LogFields): void;
}

/** The default budget: a burst of this many lines, then this many a second. */
export const WARNING_BURST = 20;
export const WARNINGS_PER_SECOND = 5;

export function throttledWarnings(logger: Logger, what: string, perSecond = WARNINGS_PER_SECOND, burst = WARNING_BURST, now?: () => number): ThrottledWarnings {
  const limit = new RateLimit(perSecond, burst, now);
  const at =
    (level: 'warn' | 'error') =>
    (message: LogMessage, fields?: LogFields): void => {
      if (limit.take()) logger[level](message, fields);
      else limit.reportDrops((n) => logger[level](`${n} more ${what} not logged in the last second (rate limited)`));
    };
  return { warn: at('warn'), error: at('error') };
}
