/**
 * Records written one JSON value a line, read back in order. The first line that is not
 * JSON ends them: a file appended to is cut, if at all, in its last line (a power cut
 * during the append), and nothing after a damaged line can be trusted to follow on.
 */
export function parseJsonLines(text: string): unknown[] {
  const records: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      break;
    }
  }
  return records;
}
