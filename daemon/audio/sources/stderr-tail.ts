import { maskUrlCredentials } from '../../log/redact.js';

/** Longest stretch of one line kept before it is masked; the part shown is much shorter (`width`). */
const RAW_LINE_LIMIT = 8192;

/**
 * The last lines a command wrote to stderr, for the warning when it exits: at most `lines`
 * lines of at most `width` characters, with URL credentials masked. Lines are masked whole
 * and cut only afterwards, so a cut never parts `user:pass@` from the `scheme://` that marks
 * it (a line longer than RAW_LINE_LIMIT is cut first, but only far past what is shown).
 */
export class StderrTail {
  private readonly complete: string[] = [];
  private partial = '';

  constructor(
    private readonly lines = 3,
    private readonly width = 500,
  ) {}

  push(text: string): void {
    // ffmpeg redraws its progress line with \r.
    const parts = (this.partial + text).split(/\r\n|\r|\n/);
    this.partial = parts.pop()!.slice(0, RAW_LINE_LIMIT);
    for (const line of parts) {
      const shown = this.show(line);
      if (shown === '') continue;
      this.complete.push(shown);
      if (this.complete.length > this.lines) this.complete.shift();
    }
  }

  /** The kept lines joined with " | ", or undefined when the command wrote nothing. */
  text(): string | undefined {
    const all = [...this.complete, this.show(this.partial)].filter((l) => l !== '');
    return all.slice(-this.lines).join(' | ') || undefined;
  }

  private show(line: string): string {
    const masked = maskUrlCredentials(line.slice(0, RAW_LINE_LIMIT).trim());
    return masked.length > this.width ? `${masked.slice(0, this.width)}…` : masked;
  }
}
