/** Codes link() fails with on a file system without hard links (FAT, many SMB shares). */
const NO_HARD_LINKS: ReadonlySet<string> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Whether link() failed because the file system has no hard links, not for the file's sake. */
export function noHardLinks(err: unknown): boolean {
  return NO_HARD_LINKS.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}
