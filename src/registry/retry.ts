import type { RetryPolicy } from './options.js';

/** Exponential backoff with "equal jitter": spreads clients out so they do not retry in lockstep. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  // Never less than half the ceiling: a retry right away rarely helps a struggling server.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds, capped.
 * Returns undefined when absent or unreadable, so the caller falls back to backoff.
 */
export function parseRetryAfter(value: string | undefined, capMs: number, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.max(0, Math.min(ms, capMs));
}

/** Statuses that may succeed when asked again: overload, rate limits, gateway trouble. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
