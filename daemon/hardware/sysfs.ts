import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reads from sysfs/procfs under a root directory. Every hardware reader takes the root so
 * tests run the same code against fixture trees copied in the layout of real boxes
 * (test/fixtures/sysfs/<box>/sys/...), and production passes "/".
 */

export type ReadOutcome<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export function under(root: string, absolutePath: string): string {
  return join(root, absolutePath.replace(/^\/+/, ''));
}

/** The trimmed text of a file, or why it could not be read (ENOENT, EACCES, ...). */
export async function readText(root: string, path: string): Promise<ReadOutcome<string>> {
  try {
    // Device-tree strings end in NUL; strip it with the whitespace.
    const text = await readFile(under(root, path), 'utf8');
    return { ok: true, value: text.replace(/\0/g, '').trim() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, code: e.code ?? 'EIO', message: e.message };
  }
}

export async function readOptionalText(root: string, path: string): Promise<string | undefined> {
  const r = await readText(root, path);
  return r.ok ? r.value : undefined;
}

/** A file holding one integer (sysfs convention); NaN or garbage is reported as EINVAL. */
export async function readInteger(root: string, path: string): Promise<ReadOutcome<number>> {
  const r = await readText(root, path);
  if (!r.ok) return r;
  if (!/^-?\d+$/.test(r.value)) return { ok: false, code: 'EINVAL', message: `${path}: expected an integer, got ${JSON.stringify(r.value.slice(0, 40))}` };
  return { ok: true, value: Number(r.value) };
}

/** Directory entries sorted naturally (thermal_zone2 before thermal_zone10); [] when absent. */
export async function listDir(root: string, path: string): Promise<string[]> {
  try {
    const names = await readdir(under(root, path));
    return names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return [];
  }
}
