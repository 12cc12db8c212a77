import { readdir } from 'node:fs/promises';

/** The longest file name ext4, XFS, Btrfs and most others take, in bytes. */
const MAX_NAME_BYTES = 255;

/**
 * A name for `name` in `dir` that nothing there has: `name`, or `name-1`, `name-2` … (before
 * the extension). `companion` is a suffix of a file that goes beside it (`.reason.txt`):
 * a name counts as taken when either is there, and the name is shortened, if need be, so
 * that both fit in a file name. The stem is what is cut, on a character boundary, so the
 * extension still says what the file is.
 */
export async function freeName(dir: string, name: string, companion = ''): Promise<string> {
  const existing = new Set(await readdir(dir));
  const taken = (candidate: string): boolean => existing.has(candidate) || (companion !== '' && existing.has(candidate + companion));
  const room = MAX_NAME_BYTES - Buffer.byteLength(companion);
  const dot = name.lastIndexOf('.');
  // An "extension" that would leave no room for the stem is part of the name, not its type.
  const hasExtension = dot > 0 && Buffer.byteLength(name.slice(dot)) <= 16;
  const stem = hasExtension ? name.slice(0, dot) : name;
  const ext = hasExtension ? name.slice(dot) : '';
  for (let i = 0; ; i++) {
    const candidate = fitted(stem, `${i === 0 ? '' : `-${i}`}${ext}`, room);
    if (!taken(candidate)) return candidate;
  }
}

/** `stem + tail`, the stem cut short (whole characters) until it fits in `room` bytes. */
function fitted(stem: string, tail: string, room: number): string {
  const chars = Array.from(stem);
  let bytes = Buffer.byteLength(stem) + Buffer.byteLength(tail);
  while (bytes > room && chars.length > 1) bytes -= Buffer.byteLength(chars.pop()!);
  return chars.join('') + tail;
}
