/**
 * Error codes that say a path the config names cannot be used as it is: not allowed
 * (EACCES, EPERM), on a read-only mount (EROFS, as under systemd's ProtectSystem=strict),
 * under something that is not a folder (ENOTDIR, EEXIST), too long (ENAMETOOLONG) or in a
 * loop of links (ELOOP). No restart mends them: each is a config problem (exit 78), so the
 * unit does not restart into the same error every 5 s.
 */
const UNUSABLE_PATH_CODES: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENAMETOOLONG', 'ELOOP']);

export function isUnusablePath(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && UNUSABLE_PATH_CODES.has(code);
}

/** What the earshot user must be able to do, for a path refused for its permissions. */
export function isPermissionProblem(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}
