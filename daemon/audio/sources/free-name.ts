import { join } from 'node:path';
import { lstatIfPresent } from '../../lstat-if-present.js';

/** The longest file name ext4, XFS, Btrfs and most others take, in bytes. */
const MAX_NAME_BYTES = 255;

/**
 * A name for `name` in `dir` that nothing there has: `name`, or `name-1`, `name-2` … (before
 * the extension). `companion` is a suffix of a file that goes beside it (`.reason.txt`):
 * a name counts as taken when either is there, and the name is shortened, if need be, so
 * that both fit in a file name. The stem is what is cut, on a character boundary, so the
 * extension still says what the file is.
 *
 * Candidates are looked up one by one, never by listing `dir`: done/ keeps every recording,
 * and listing 360,000 of them (six months at 2,000 a day) took a second for each recording
 * moved. Taken suffixes are found by doubling, then halving, so a recorder that always
 * writes the same name costs a few dozen lookups, not one per copy already there.
 */
export async function freeName(dir: string, name: string, companion = ''): Promise<string> {
  const room = MAX_NAME_BYTES - Buffer.byteLength(companion);
  const dot = name.lastIndexOf('.');
  // An "extension" that would leave no room for the stem is part of the name, not its type.
  const hasExtension = dot > 0 && Buffer.byteLength(name.slice(dot)) <= 16;
  const stem = hasExtension ? name.slice(0, dot) : name;
  const ext = hasExtension ? name.slice(dot) : '';
  const nameAt = (i: number): string => fitted(stem, `${i === 0 ? '' : `-${i}`}${ext}`, room);
  // Anything at the path takes the name: a file, a folder, a link (dangling or not).
  const present = async (path: string): Promise<boolean> => (await lstatIfPresent(path)) !== undefined;
  const taken = async (i: number): Promise<boolean> => (await present(join(dir, nameAt(i)))) || (companion !== '' && (await present(join(dir, nameAt(i) + companion))));
  if (!(await taken(0))) return nameAt(0);
  // `low` is taken and `high` free; between them, the first free one after a taken one.
  let low = 0;
  let high = 1;
  while (await taken(high)) [low, high] = [high, high * 2];
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (await taken(mid)) low = mid;
    else high = mid;
  }
  return nameAt(high);
}

/** `stem + tail`, the stem cut short (whole characters) until it fits in `room` bytes. */
function fitted(stem: string, tail: string, room: number): string {
  const chars = Array.from(stem);
  let bytes = Buffer.byteLength(stem) + Buffer.byteLength(tail);
  while (bytes > room && chars.length > 1) bytes -= Buffer.byteLength(chars.pop()!);
  return chars.join('') + tail;
}
