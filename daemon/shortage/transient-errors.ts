import { errorChain } from '../error-chain.js';

/**
 * Errors a later retry can get past: a full disk or quota, too many open files, no memory.
 * They say nothing about the recording or job that met them, so it is kept for a retry, not
 * failed. The code is looked for along `cause`, as wrappers that add the file name keep it.
 */
const TRANSIENT_CODES = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'ENOMEM']);

export function transientCode(err: unknown): string | undefined {
  for (const e of errorChain(err, 4)) {
    const code = String((e as NodeJS.ErrnoException).code);
    if (TRANSIENT_CODES.has(code)) return code;
  }
  return undefined;
}

export function isTransient(err: unknown): boolean {
  return transientCode(err) !== undefined;
}
