/**
 * Text for a terminal, with every control character but newline and tab written as an
 * escape (\r, \u001b). What the CLI prints quotes text from outside: a carbon reading's
 * payload, a fleet box's error, a file name. Left raw, an escape sequence in it clears the
 * line or the screen, recolours it, retitles the window, and a carriage return writes a
 * forged line over the real one (any client that may publish a carbon reading made
 * `earshot carbon` show a value of its choosing).
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => (c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
