import { escapedControl } from '../one-line.js';

/**
 * Text for a terminal, with every control character but newline and tab written as an
 * escape (\r, \u001b). What the CLI prints quotes text from outside: a carbon reading's
 * payload, a fleet box's error, a file name. Left raw, an escape sequence in it clears the
 * line or the screen, recolours it, retitles the window, and a carriage return writes a
 * forged line over the real one (any client that may publish a carbon reading made
 * `earshot carbon` show a value of its choosing).
 */
export function terminalSafe(text: string): string {
  // Newline and tab (0x0a, 0x09) are left: the CLI's own output is laid out with them.
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, escapedControl);
}

/**
 * JSON text with DEL and the C1 controls (U+007F–U+009F) written as \u escapes: the same JSON
 * value. JSON.stringify escapes only U+0000–U+001F, and a terminal acts on C1 controls as on
 * ESC sequences (U+009B is CSI: a file name with "\u009b2J" in it cleared the screen of
 * `earshot jobs list --json`). Outside strings JSON text has no such characters.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, escapedControl);
}
