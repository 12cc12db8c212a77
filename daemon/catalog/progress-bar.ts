/** One line of download progress for a terminal: bar, bytes, rate and ETA. */
import type { DownloadProgress } from './download.js';

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** `elapsedMs` counts from the start of this run, so the rate ignores bytes resumed from disk. */
export function formatProgress(p: DownloadProgress, elapsedMs: number, width = 30): string {
  const fresh = p.received - p.resumedFrom;
  const rate = elapsedMs > 0 ? fresh / (elapsedMs / 1000) : 0;
  const resumed = p.resumedFrom > 0 ? ` (resumed at ${mib(p.resumedFrom)} MiB)` : '';
  if (p.total === null || p.total <= 0) return `${mib(p.received)} MiB ${mib(rate)} MiB/s${resumed}`;
  const frac = Math.min(1, p.received / p.total);
  const filled = Math.round(frac * width);
  const eta = rate > 0 ? (p.total - p.received) / rate : NaN;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(1)}% ${mib(p.received)}/${mib(p.total)} MiB ${mib(rate)} MiB/s eta ${clock(eta)}${resumed}`;
}
