import { describe, expect, it } from 'vitest';
import { type CallPriority, createRateLimiter, type Permit } from '../../../src/cloud-phone/rate-limiter.js';
import { CallRateLimit } from '../../../src/sandbox/simulator/rate-limit.js';

/** A clock that only moves when the test says so; sleepers wake when it passes their time. */
function fakeClock() {
  let t = 0;
  const sleepers: { at: number; wake: () => void }[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => new Promise<void>((wake) => sleepers.push({ at: t + ms, wake })),
    /** Moves time forward in 1 ms steps, letting woken work run at each step. */
    async advance(ms: number) {
      for (let i = 0; i < ms; i++) {
        t += 1;
        for (const sleeper of sleepers.filter((s) => s.at <= t)) {
          sleepers.splice(sleepers.indexOf(sleeper), 1);
          sleeper.wake();
        }
        await flush();
      }
    },
  };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** Slack 0 unless a test says otherwise: the spacing is then a round `1 s / rate`, which keeps the arithmetic readable. */
function setup(options: { max: number; min?: number; recovery?: number; holdMs?: number; slackMs?: number }) {
  const clock = fakeClock();
  const limiter = createRateLimiter({
    maxPerSecond: options.max,
    slackMs: options.slackMs ?? 0,
    minPerSecond: options.min,
    recoveryPerSecond: options.recovery,
    holdMs: options.holdMs,
    now: clock.now,
    sleep: clock.sleep,
  });
  /** Grant times, in order, with the lane of each call. */
  const grants: { at: number; lane: CallPriority; permit: Permit }[] = [];
  const call = (lane: CallPriority = 'bulk') =>
    limiter.acquire(lane).then((permit) => {
      grants.push({ at: permit.grantedAt, lane, permit });
      return permit;
    });
  return { clock, limiter, grants, call };
}

/** Most grants within any one second. */
function peakPerSecond(times: number[]): number {
  let peak = 0;
  for (const t of times) peak = Math.max(peak, times.filter((u) => u > t - 1000 && u <= t).length);
  return peak;
}

describe('rate limiter', () => {
  it('lets a burst through at the configured rate, never more in any second', async () => {
    const { clock, grants, call, limiter } = setup({ max: 10 });
    for (let i = 0; i < 35; i++) void call();
    await flush();
    expect(grants).toHaveLength(1); // the first goes at once, the others wait their turn
    await clock.advance(1000);
    expect(grants).toHaveLength(11);
    await clock.advance(2500);
    expect(grants).toHaveLength(35);
    const times = grants.map((g) => g.at);
    expect(peakPerSecond(times)).toBe(10);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(100);
    expect(limiter.stats()).toMatchObject({ granted: 35, peakPerSecond: 10, waiting: { interactive: 0, bulk: 0 } });
  });

  it('leaves room in every second for calls that reach the cloud a little late: the quota never sees one too many', async () => {
    // The cloud counts a call when it arrives. Each call here takes 0–24 ms to get there (less than the default slack
    // of 25 ms), in an order that puts the worst case, a slow call followed by fast ones, in many seconds.
    const clock = fakeClock();
    const limiter = createRateLimiter({ maxPerSecond: 10, now: clock.now, sleep: clock.sleep });
    const arrivals: number[] = [];
    const delays = [24, 0, 3, 0, 11, 0, 0, 7, 0, 1, 0, 24, 0, 0, 19, 2, 0, 0, 5, 0];
    for (let i = 0; i < 200; i++) {
      void limiter.acquire().then((permit) => arrivals.push(permit.grantedAt + delays[i % delays.length]!));
    }
    await clock.advance(25_000);
    expect(arrivals).toHaveLength(200);
    arrivals.sort((a, b) => a - b);

    // Counted the way the simulator's quota counts (a sliding second), at the rate's own value.
    let t = 0;
    const quota = new CallRateLimit();
    quota.set({ callsPerSecond: 10, now: () => t });
    for (const at of arrivals) {
      t = at;
      expect(quota.admit()).toBeUndefined();
    }
    expect(quota.report()).toMatchObject({ peakPerSecond: 10, throttled: 0 });
    expect(quota.report().tightestMs).toBeGreaterThan(1000);
    // The price: 2.5 % of the throughput, 102.5 ms between calls rather than 100 (103 on this clock of whole ms).
    expect(arrivals.at(-1)! - arrivals[0]!).toBeLessThanOrEqual(199 * 103 + 24);
  });

  it('does not save up idle time into a burst', async () => {
    const { clock, grants, call } = setup({ max: 5 });
    await call();
    await clock.advance(10_000);
    for (let i = 0; i < 6; i++) void call();
    await clock.advance(1000);
    const afterIdle = grants.slice(1).map((g) => g.at);
    expect(afterIdle).toHaveLength(6);
    expect(peakPerSecond(afterIdle)).toBe(5);
  });

  it('halves the rate on a Throttling answer, pauses for the retry-after, and cuts once per overload', async () => {
    const { clock, grants, call, limiter } = setup({ max: 10, holdMs: 5000 });
    for (let i = 0; i < 3; i++) void call();
    await clock.advance(200);
    expect(grants.map((g) => g.at)).toEqual([0, 100, 200]);

    // All three come back throttled: only the first answer cuts (the others were sent at the old rate too).
    limiter.throttled(grants[0]!.permit, 300);
    limiter.throttled(grants[1]!.permit, 300);
    limiter.throttled(grants[2]!.permit, 300);
    expect(limiter.allowedPerSecond()).toBe(5);
    expect(limiter.stats()).toMatchObject({ throttledAnswers: 3, cuts: 1 });

    for (let i = 0; i < 6; i++) void call();
    await clock.advance(299);
    expect(grants).toHaveLength(3); // the cloud's retry-after holds every call
    await clock.advance(1);
    expect(grants).toHaveLength(4);
    await clock.advance(1000);
    const after = grants.slice(3).map((g) => g.at);
    expect(after).toEqual([500, 700, 900, 1100, 1300, 1500]);

    // A call sent after the cut that is throttled again cuts again, to half of the cut rate.
    limiter.throttled(grants[4]!.permit);
    expect(limiter.allowedPerSecond()).toBe(2.5);
    expect(limiter.stats().cuts).toBe(2);
  });

  it('never cuts below the floor', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ maxPerSecond: 8, minPerSecond: 1, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 10; i++) limiter.throttled({ grantedAt: clock.now() + 1 + i });
    expect(limiter.allowedPerSecond()).toBe(1);
  });

  it('holds a cut rate, then recovers step by step to the ceiling, not beyond', async () => {
    const { clock, limiter } = setup({ max: 10, recovery: 1, holdMs: 5000 });
    limiter.throttled({ grantedAt: 0 });
    expect(limiter.allowedPerSecond()).toBe(5);
    await clock.advance(4000);
    expect(limiter.allowedPerSecond()).toBe(5); // held
    await clock.advance(1000 + 2000);
    expect(limiter.allowedPerSecond()).toBeCloseTo(7, 5); // +1 per second of calm
    await clock.advance(2000);
    expect(limiter.allowedPerSecond()).toBeCloseTo(9, 5);
    await clock.advance(5000);
    expect(limiter.allowedPerSecond()).toBe(10);
  });

  it('gives a waiting interactive call the next slot ahead of a background burst', async () => {
    const { clock, grants, call } = setup({ max: 10 });
    for (let i = 0; i < 50; i++) void call('bulk');
    await clock.advance(250);
    void call('interactive');
    await clock.advance(100);
    const interactive = grants.find((g) => g.lane === 'interactive');
    // 47 background calls were still waiting; the person's call went at the very next slot (300 ms).
    expect(interactive?.at).toBe(300);
    expect(grants.filter((g) => g.at <= 300 && g.lane === 'bulk')).toHaveLength(3);
    await clock.advance(5000);
    expect(grants).toHaveLength(51); // and the background went on after it
  });

  it('refuses a ceiling that is not a positive number', () => {
    expect(() => createRateLimiter({ maxPerSecond: 0 })).toThrow(/maxPerSecond must be a positive number/);
    expect(() => createRateLimiter({ maxPerSecond: Number.NaN })).toThrow(/maxPerSecond/);
    expect(() => createRateLimiter({ maxPerSecond: 1, slackMs: -1 })).toThrow(/slackMs/);
  });
});
