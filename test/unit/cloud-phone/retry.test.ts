import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_OPTIONS,
  decideRetry,
  fullJitterDelay,
  parseRetryAfter,
  type RetryOptions,
  resolveRetryOptions,
} from '../../../src/cloud-phone/retry.js';

const noSleep = async () => {};

function options(overrides: Partial<RetryOptions> = {}): RetryOptions {
  return resolveRetryOptions({
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    totalBudgetMs: 10_000,
    sleep: noSleep,
    ...overrides,
  });
}

describe('fullJitterDelay', () => {
  it('spans [0, base * 2^(retry-1)) and is capped by maxDelayMs', () => {
    const low = options({ random: () => 0 });
    const high = options({ random: () => 0.999999 });
    expect(fullJitterDelay(1, low)).toBe(0);
    expect(fullJitterDelay(1, high)).toBe(99);
    expect(fullJitterDelay(2, high)).toBe(199);
    expect(fullJitterDelay(3, high)).toBe(399);
    expect(fullJitterDelay(10, high)).toBe(999);
  });

  it('stays within bounds for any random value and retry number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), (retry, r) => {
        const delay = fullJitterDelay(retry, options({ random: () => r }));
        const cap = Math.min(1_000, 100 * 2 ** (retry - 1));
        return Number.isInteger(delay) && delay >= 0 && delay <= cap;
      }),
    );
  });

  it('uses the injected random source', () => {
    const values = [0.25, 0.5];
    const opts = options({ random: () => values.shift() ?? 0 });
    expect(fullJitterDelay(1, opts)).toBe(25);
    expect(fullJitterDelay(1, opts)).toBe(50);
  });
});

describe('decideRetry', () => {
  it('stops after maxAttempts', () => {
    const opts = options({ maxAttempts: 3, random: () => 0.5 });
    expect(decideRetry({ attempt: 1, elapsedMs: 0 }, opts)).toEqual({ retry: true, delayMs: 50 });
    expect(decideRetry({ attempt: 2, elapsedMs: 0 }, opts)).toEqual({ retry: true, delayMs: 100 });
    expect(decideRetry({ attempt: 3, elapsedMs: 0 }, opts)).toEqual({ retry: false, reason: 'attempts-exhausted' });
  });

  it('maxAttempts 1 never retries', () => {
    expect(decideRetry({ attempt: 1, elapsedMs: 0 }, options({ maxAttempts: 1 }))).toEqual({
      retry: false,
      reason: 'attempts-exhausted',
    });
  });

  it('stops when the wait would pass the total budget', () => {
    const opts = options({ maxAttempts: 10, totalBudgetMs: 1_000, random: () => 0.5 });
    expect(decideRetry({ attempt: 1, elapsedMs: 900 }, opts)).toEqual({ retry: true, delayMs: 50 });
    expect(decideRetry({ attempt: 1, elapsedMs: 960 }, opts)).toEqual({ retry: false, reason: 'budget-exhausted' });
    expect(decideRetry({ attempt: 1, elapsedMs: 1_000 }, opts)).toEqual({ retry: false, reason: 'budget-exhausted' });
  });

  it('waits at least the server retry-after, even beyond maxDelayMs, but not beyond the budget', () => {
    const opts = options({ maxAttempts: 5, random: () => 0 });
    expect(decideRetry({ attempt: 1, elapsedMs: 0, retryAfterMs: 3_000 }, opts)).toEqual({
      retry: true,
      delayMs: 3_000,
    });
    expect(decideRetry({ attempt: 1, elapsedMs: 0, retryAfterMs: 20_000 }, opts)).toEqual({
      retry: false,
      reason: 'budget-exhausted',
    });
    // A retry-after shorter than the jittered backoff does not shorten it.
    const jittery = options({ random: () => 0.5 });
    expect(decideRetry({ attempt: 3, elapsedMs: 0, retryAfterMs: 10 }, jittery)).toEqual({ retry: true, delayMs: 200 });
  });
});

describe('parseRetryAfter', () => {
  it('reads milliseconds, as the official SDKs do', () => {
    expect(parseRetryAfter('2000')).toBe(2_000);
    expect(parseRetryAfter(' 80 ')).toBe(80);
    expect(parseRetryAfter(['3000', '9'])).toBe(3_000);
  });

  it('ignores absent, malformed and zero values', () => {
    for (const value of [undefined, '', '0', ' 0.0 ', 'soon', '-1', 'Wed, 21 Oct 2015 07:28:00 GMT', '1e3']) {
      expect(parseRetryAfter(value)).toBeUndefined();
    }
  });
});

describe('resolveRetryOptions', () => {
  it('fills in defaults and keeps overrides', () => {
    const resolved = resolveRetryOptions({ maxAttempts: 2, baseDelayMs: undefined });
    expect(resolved.maxAttempts).toBe(2);
    expect(resolved.baseDelayMs).toBe(DEFAULT_RETRY_OPTIONS.baseDelayMs);
    expect(resolved.totalBudgetMs).toBe(DEFAULT_RETRY_OPTIONS.totalBudgetMs);
  });

  it('rejects nonsense', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryOptions({ maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryOptions({ baseDelayMs: -1 })).toThrow(/baseDelayMs/);
    expect(() => resolveRetryOptions({ totalBudgetMs: Number.NaN })).toThrow(/totalBudgetMs/);
  });

  it('the default sleep really waits (a few ms)', async () => {
    let done = false;
    const pending = DEFAULT_RETRY_OPTIONS.sleep(5).then(() => {
      done = true;
    });
    expect(done).toBe(false);
    await pending;
    expect(done).toBe(true);
  });
});
