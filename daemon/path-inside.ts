import { sep } from 'node:path';

/** Whether `path` (absolute, resolved) is `root` or lies under it; a root is a whole path element ("/srv/a" does not hold "/srv/ab"). */
export function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}
