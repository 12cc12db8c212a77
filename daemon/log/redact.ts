/**
 * What may reach a log line: secrets by field name never, credentials inside URLs never, and
 * errors as their message (an Error's own fields are not enumerable, so copying it as an
 * object would print `{}` and lose the reason).
 */

/** Field names whose values are never printed (MQTT passwords, HMAC keys, API tokens). */
const SECRET_FIELD = /pass(word)?|secret|token|hmac|key$|apikey|authorization/i;

/**
 * The user info of a URL in free text (a broker URL, an RTSP camera that ffmpeg echoes in
 * its errors): from `scheme://` to the last `@` before the end of the authority (`/`, `?`,
 * `#` or white space), so an unencoded `@` in a password is masked too.
 */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/**
 * `text` with the user info of every URL in it replaced by `***`:
 * `rtsp://admin:hunter2@10.0.0.5:554/stream` → `rtsp://***@10.0.0.5:554/stream`.
 */
export function maskUrlCredentials(text: string): string {
  return text.replace(URL_USER_INFO, '$1***@');
}

/** How deep an error's causes are followed in its description. */
const MAX_CAUSES = 4;

/**
 * An error as one line: its message, its errno-style code when the message does not say it,
 * and the messages of its causes (`a: b: c`), with URL credentials masked.
 */
export function errorLine(err: Error): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let i = 0; i <= MAX_CAUSES && current instanceof Error; i++) {
    const message = current.message || current.name;
    if (!parts.some((p) => p.includes(message))) parts.push(message);
    current = current.cause;
  }
  let text = parts.join(': ');
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && !text.includes(code)) text += ` [${code}]`;
  return maskUrlCredentials(text);
}

/** Log fields as they may be printed: secrets by name replaced, errors described, URLs masked. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return errorLine(value);
  if (typeof value === 'string') return maskUrlCredentials(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_FIELD.test(k) && v !== null && v !== undefined && typeof v !== 'object' ? '***' : redactSecrets(v, depth + 1);
  }
  return out;
}
