/**
 * Retry policy: "full jitter" exponential backoff, bounded by a number of attempts and by a total time budget, and
 * honouring the gateway's `x-acs-retry-after` (seconds). Pure decisions; the client owns the loop. What is retryable
 * at all is decided by the client (read-only vs mutating calls), not here.
 */
import { setTimeout as sleepMs } from 'node:timers/promises';

export interface RetryOptions {
  /** Attempts in total, the first one included. 1 disables retries. */
  maxAttempts: number;
  /** Backoff cap before jitter for the first retry; doubles each retry. */
  baseDelayMs: number;
  /** Upper bound of a jittered backoff (a server's retry-after may be longer, within the budget). */
  maxDelayMs: number;
  /** No retry is started once this much time has passed since the first attempt, nor if its wait would pass it. */
  totalBudgetMs: number;
  /** Uniform in [0, 1). Injected so tests are deterministic. */
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  totalBudgetMs: 30_000,
  random: Math.random,
  sleep: (ms: number) => sleepMs(ms),
});

/** Defaults filled in and the numbers checked, so a bad override fails at construction, not on the first error. */
export function resolveRetryOptions(overrides: Partial<RetryOptions> = {}): RetryOptions {
  const options: RetryOptions = { ...DEFAULT_RETRY_OPTIONS };
  for (const [key, value] of Object.entries(overrides) as [keyof RetryOptions, unknown][]) {
    if (value !== undefined) Object.assign(options, { [key]: value });
  }
  const problems: string[] = [];
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)
    problems.push('maxAttempts must be an integer >= 1');
  for (const key of ['baseDelayMs', 'maxDelayMs', 'totalBudgetMs'] as const) {
    if (!Number.isFinite(options[key]) || options[key] < 0) problems.push(`${key} must be a finite number >= 0`);
  }
  if (problems.length > 0) throw new RangeError(`Invalid retry options: ${problems.join('; ')}`);
  return options;
}

/**
 * Full jitter: uniform in [0, min(maxDelayMs, baseDelayMs * 2^(retry-1))), where `retry` counts retries from 1.
 * Spreading the whole range (rather than adding a little jitter) is what keeps throttled clients from retrying in step.
 */
export function fullJitterDelay(retry: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>) {
  const exponent = Math.max(0, retry - 1);
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  const r = Math.min(Math.max(options.random(), 0), 1);
  return Math.floor(cap * r);
}

/**
 * `x-acs-retry-after` is in milliseconds: the official SDKs pass it straight to their retry policies, whose delays are
 * milliseconds (their tests send e.g. `2000` and `80`). Returns milliseconds, or undefined if absent, garbage or 0:
 * a wait of nothing asks for nothing, and must not make a 4xx look like throttling.
 */
export function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  const ms = Math.ceil(Number(trimmed));
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'attempts-exhausted' | 'budget-exhausted' };

/**
 * Whether to try again after a retryable failure.
 * @param attempt the attempt that just failed, counting from 1
 * @param elapsedMs time since the first attempt started
 * @param retryAfterMs the server's requested wait, if it sent one; the wait is then at least this long
 */
export function decideRetry(
  input: { attempt: number; elapsedMs: number; retryAfterMs?: number | undefined },
  options: RetryOptions,
): RetryDecision {
  if (input.attempt >= options.maxAttempts) return { retry: false, reason: 'attempts-exhausted' };
  const jittered = fullJitterDelay(input.attempt, options);
  const delayMs = input.retryAfterMs === undefined ? jittered : Math.max(input.retryAfterMs, jittered);
  if (input.elapsedMs + delayMs >= options.totalBudgetMs) return { retry: false, reason: 'budget-exhausted' };
  return { retry: true, delayMs };
}
