/** A control character as the terminal shows it: \n, \r, \t, or \u001b and the like. */
export function escapedControl(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Text from outside (a payload quoted in an error, a remote box's message) made one line: every
 * control character, newline and tab included, written as an escape. Such text is shown where
 * one line is expected (a note in `earshot carbon`, a problem in `earshot status`, a log field);
 * a newline in it would start a line of the sender's choosing under the real one.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, escapedControl);
}
