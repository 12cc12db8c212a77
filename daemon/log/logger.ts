/**
 * Namespaced, structured logging for earshotd.
 *
 * One line per record on stdout (info and below) or stderr (warn and above), so journald
 * keeps the priority; with `format: "text"` each line starts with the sd-daemon(3) `<N>`
 * priority prefix when running under systemd (JOURNAL_STREAM set), which journald strips and
 * uses as the record's level. Debug messages may be given as functions so the string is only
 * built when the level is enabled.
 */
import { maskUrlCredentials, redactSecrets } from './redact.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;
export type LogMessage = string | (() => string);

export interface Logger {
  readonly namespace: string;
  error(message: LogMessage, fields?: LogFields): void;
  warn(message: LogMessage, fields?: LogFields): void;
  info(message: LogMessage, fields?: LogFields): void;
  debug(message: LogMessage, fields?: LogFields): void;
  trace(message: LogMessage, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
  child(suffix: string): Logger;
}

export interface LogSinkOptions {
  level: LogLevel;
  format: 'text' | 'json';
  /** Where records go; defaults to process.stdout / process.stderr by level. */
  write?: (line: string, level: LogLevel) => void;
  /** Prefix text lines with `<N>` syslog priorities (journald). Defaults to JOURNAL_STREAM being set. */
  syslogPrefix?: boolean;
}

/** syslog priorities, RFC 5424 §6.2.1, as journald reads them from `<N>` prefixes. */
const SYSLOG_PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7, trace: 7 };

export { redactSecrets } from './redact.js';

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w./:@+-]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return JSON.stringify(value);
}

/**
 * One record is one line: a message that quotes outside text (a topic, a user name, a file
 * name) must not start a forged line of its own, `<0>` priority prefix and all. Control
 * characters are written as escapes (\n, \u2028).
 */
function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The root of a logger tree: holds the level and output, hands out namespaced loggers. */
export class LogSink {
  private levelIndex: number;
  private readonly format: 'text' | 'json';
  private readonly write: (line: string, level: LogLevel) => void;
  private readonly syslogPrefix: boolean;

  constructor(options: LogSinkOptions) {
    this.levelIndex = LOG_LEVELS.indexOf(options.level);
    this.format = options.format;
    this.syslogPrefix = options.syslogPrefix ?? Boolean(process.env.JOURNAL_STREAM);
    this.write =
      options.write ??
      ((line, level) => (LOG_LEVELS.indexOf(level) <= 1 ? process.stderr : process.stdout).write(line + '\n'));
  }

  setLevel(level: LogLevel): void {
    this.levelIndex = LOG_LEVELS.indexOf(level);
  }

  get level(): LogLevel {
    return LOG_LEVELS[this.levelIndex] ?? 'info';
  }

  logger(namespace: string): Logger {
    const ns = namespace.startsWith('earshot') ? namespace : `earshot:${namespace}`;
    const emit = (level: LogLevel) => (message: LogMessage, fields?: LogFields) => this.emit(ns, level, message, fields);
    return {
      namespace: ns,
      error: emit('error'),
      warn: emit('warn'),
      info: emit('info'),
      debug: emit('debug'),
      trace: emit('trace'),
      enabled: (level) => LOG_LEVELS.indexOf(level) <= this.levelIndex,
      child: (suffix) => this.logger(`${ns}:${suffix}`),
    };
  }

  private emit(ns: string, level: LogLevel, message: LogMessage, fields?: LogFields): void {
    if (LOG_LEVELS.indexOf(level) > this.levelIndex) return;
    const msg = maskUrlCredentials(typeof message === 'function' ? message() : message);
    const safe = fields ? (redactSecrets(fields) as LogFields) : undefined;
    if (this.format === 'json') {
      const record: Record<string, unknown> = { time: new Date().toISOString(), level, ns, msg };
      if (safe) Object.assign(record, safe);
      this.write(JSON.stringify(record), level);
      return;
    }
    const prefix = this.syslogPrefix ? `<${SYSLOG_PRIORITY[level]}>` : '';
    const tail = safe
      ? Object.entries(safe)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ` ${k}=${formatValue(v)}`)
          .join('')
      : '';
    this.write(`${prefix}${level.toUpperCase().padEnd(5)} ${ns} ${escapeControls(msg)}${tail}`, level);
  }
}

/** A logger that drops everything; for library callers that did not ask for logs. */
export const silentLogger: Logger = new LogSink({ level: 'error', format: 'text', write: () => undefined }).logger('silent');
