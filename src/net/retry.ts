/**
 * The one retry policy for every request ferry makes (index pages, metadata, range reads,
 * downloads):
 * - worth another try: connection failures (refused, reset, DNS, a stall past the timeout),
 *   HTTP 408, 429 and 5xx;
 * - never retried: every other status, 401/403/404/410 above all (pnpm's rule: asking again
 *   will not grant access or bring a file back), and TLS verification failures;
 * - the wait doubles from `backoffMs` up to `maxBackoffMs`, half of it random so parallel
 *   requests do not retry in step ("equal jitter");
 * - a server's Retry-After (RFC 9110 §10.2.3: delay-seconds or an HTTP date) replaces the
 *   backoff, capped at `maxRetryAfterMs` so that a server cannot park ferry for an hour.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts after the first (pip's `retries`). */
  readonly retries: number;
  /** The first backoff; doubles per failure. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** The longest wait a server's Retry-After may ask for. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 4,
  backoffMs: 250,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Statuses worth another try. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * How long to wait before the next attempt after `failures` failed ones (1 = the first
 * failure), honouring the server's Retry-After when it sent one.
 */
export function retryDelay(
  policy: RetryPolicy,
  failures: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const exponential = Math.min(
    policy.maxBackoffMs,
    policy.backoffMs * 2 ** Math.max(0, failures - 1),
  );
  return exponential / 2 + random() * (exponential / 2);
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export async function waitFor(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  await sleep(ms, undefined, signal === undefined ? {} : { signal });
}
