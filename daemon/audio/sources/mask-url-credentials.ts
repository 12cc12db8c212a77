/**
 * The user info of every URL in `text` replaced by `***`:
 * `rtsp://admin:hunter2@10.0.0.5:554/stream` → `rtsp://***@10.0.0.5:554/stream`, and
 * `rtsp://token@cam` → `rtsp://***@cam`. For anything a command prints or is given that may
 * reach a log or a status reply: ffmpeg, for one, echoes its input URL in its errors.
 *
 * The user info runs from `scheme://` to the last `@` before the end of the authority
 * (`/`, `?`, `#` or white space), so an unencoded `@` in a password is masked too.
 */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

export function maskUrlCredentials(text: string): string {
  return text.replace(URL_USER_INFO, '$1***@');
}
