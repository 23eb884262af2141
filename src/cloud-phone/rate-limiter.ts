/**
 * The one gate every cloud phone call passes on its way to the wire (CLOUDPHONE_MAX_CALLS_PER_SECOND): a token bucket
 * that holds one token, so calls are spaced evenly and no second ever carries more than the rate (a bigger bucket
 * would let a burst of "saved up" calls through on top of the rate, which is exactly what the cloud's per-second quota
 * refuses).
 *
 * The cloud counts a call when it reaches its gateway, not when this gate lets it go, and the way there takes a
 * little longer for one call than for another (the event loop, the connection pool, the network, the gateway's own
 * queue). Spaced exactly `1 / rate` apart, call n + rate leaves exactly one second after call n, so call n arriving
 * even a millisecond later than usual puts rate + 1 calls in one second as the gateway counts them (the fleet bench
 * saw 11 calls in a second at 10/s, and 2 Throttling answers). So the calls are spaced `(1 s + slack) / rate` apart:
 * any rate + 1 calls leave at least a second plus the slack apart, and arrive more than a second apart as long as
 * their ways differ by less than the slack (25 ms by default, 2.5 % of the throughput).
 *
 * The rate adapts the way TCP's congestion control does (AIMD). When the cloud answers `Throttling` the allowed rate
 * is halved (never below a floor), the gate pauses for the wait the cloud asked for, and the rate is held for a while;
 * then it climbs back by a fixed step per second of calm, up to the configured ceiling. Only answers to calls sent
 * after the last cut can cut again: the calls already in flight were sent at the old rate, and counting their
 * refusals would halve the rate several times for one overload.
 *
 * Two lanes: a call made for a person waiting in Slack (a form's listing, a status) takes the next free slot before
 * any background call (a schedule's wave, task polling). People's calls are few, so the background is only delayed
 * by them, never starved; a burst of background calls cannot make a person wait behind it.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleepMs } from 'node:timers/promises';

/** `interactive`: a person waits for the answer. `bulk`: background work. */
export type CallPriority = 'interactive' | 'bulk';

export interface RateLimiterOptions {
  /** The ceiling, calls per second over all actions and regions (CLOUDPHONE_MAX_CALLS_PER_SECOND). */
  maxPerSecond: number;
  /** The floor a throttled rate is never cut below. Default: 0.5 per second, or the ceiling if that is lower. */
  minPerSecond?: number | undefined;
  /** Calls per second regained per second of calm once the hold ends. Default: a tenth of the ceiling. */
  recoveryPerSecond?: number | undefined;
  /** How long a cut rate is held before it starts to recover. Default 5 s. */
  holdMs?: number | undefined;
  /**
   * How much later than another call one may reach the cloud's counter, relative to when each left this gate: the
   * spacing leaves this much room in every second. Default 25 ms.
   */
  slackMs?: number | undefined;
  /** Longest pause a `x-acs-retry-after` may impose on every call (a bogus header must not freeze the bot). 5 s. */
  maxPauseMs?: number | undefined;
  /** Monotonic milliseconds. Injected so tests drive time. */
  now?: (() => number) | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** Proof of a slot, handed back with a throttled answer so the limiter knows when the refused call was sent. */
export interface Permit {
  grantedAt: number;
}

export interface RateLimiterStats {
  /** What the gate lets through now, calls per second. */
  allowedPerSecond: number;
  maxPerSecond: number;
  /** Throttling answers reported since the start. */
  throttledAnswers: number;
  /** How often the rate was cut (throttled answers to calls sent before a cut do not cut again). */
  cuts: number;
  /** Calls let through since the start. */
  granted: number;
  /** Most calls let through within any one second since the start. */
  peakPerSecond: number;
  /** Calls waiting for a slot now, by lane. */
  waiting: Record<CallPriority, number>;
}

export interface RateLimiter {
  /** Resolves when the call may go. */
  acquire(priority?: CallPriority): Promise<Permit>;
  /** The cloud refused a call sent under `permit` as throttled; `retryAfterMs` is its `x-acs-retry-after`. */
  throttled(permit: Permit, retryAfterMs?: number | undefined): void;
  /** The rate allowed now, calls per second. */
  allowedPerSecond(): number;
  stats(): RateLimiterStats;
}

const WINDOW_MS = 1000;
const DEFAULT_SLACK_MS = 25;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const max = positive('maxPerSecond', options.maxPerSecond);
  const min = Math.min(max, positive('minPerSecond', options.minPerSecond ?? 0.5));
  const recovery = positive('recoveryPerSecond', options.recoveryPerSecond ?? max / 10);
  const holdMs = options.holdMs ?? 5_000;
  const maxPauseMs = options.maxPauseMs ?? 5_000;
  const slackMs = options.slackMs ?? DEFAULT_SLACK_MS;
  if (!(holdMs >= 0) || !(maxPauseMs >= 0) || !(slackMs >= 0) || !Number.isFinite(slackMs))
    throw new RangeError('holdMs, maxPauseMs and slackMs must be numbers >= 0');
  /** What a call's slot spans at one call per second: the spacing is this over the rate. */
  const slotSpanMs = WINDOW_MS + slackMs;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => sleepMs(ms));

  // The rate is `cutRate` until `holdUntil`, then rises by `recovery` per second to `max`.
  let cutRate = max;
  let holdUntil = Number.NEGATIVE_INFINITY;
  let lastCutAt = Number.NEGATIVE_INFINITY;
  /** Earliest time the next call may go. */
  let nextAt = Number.NEGATIVE_INFINITY;
  let throttledAnswers = 0;
  let cuts = 0;
  let granted = 0;
  let peakPerSecond = 0;
  /** Grant times within the last second (oldest first), for the peak. */
  const recent: number[] = [];
  const lanes: Record<CallPriority, ((permit: Permit) => void)[]> = { interactive: [], bulk: [] };
  let sleeping = false;

  function rateAt(t: number): number {
    if (t < holdUntil) return cutRate;
    return Math.min(max, cutRate + (recovery * (t - holdUntil)) / 1000);
  }

  function recordGrant(t: number): void {
    granted++;
    recent.push(t);
    while (recent.length > 0 && (recent[0] as number) <= t - WINDOW_MS) recent.shift();
    peakPerSecond = Math.max(peakPerSecond, recent.length);
  }

  /** Lets the next waiter go if its slot has come, else sleeps until it has (one sleeper at a time). */
  function pump(): void {
    while (!sleeping) {
      // Interactive first: the lanes are looked at each time a slot frees, so a person's call that arrives while
      // background calls wait takes the very next slot.
      const lane = lanes.interactive.length > 0 ? lanes.interactive : lanes.bulk;
      if (lane.length === 0) return;
      const t = now();
      if (t < nextAt) {
        sleeping = true;
        sleep(nextAt - t).then(
          () => {
            sleeping = false;
            pump();
          },
          () => {
            sleeping = false;
            pump();
          },
        );
        return;
      }
      const release = lane.shift() as (permit: Permit) => void;
      nextAt = t + slotSpanMs / rateAt(t);
      recordGrant(t);
      release({ grantedAt: t });
    }
  }

  return {
    acquire(priority = 'bulk') {
      return new Promise<Permit>((resolve) => {
        lanes[priority].push(resolve);
        pump();
      });
    },

    throttled(permit, retryAfterMs) {
      throttledAnswers++;
      const t = now();
      // A pause the cloud asked for applies to every call: the quota is the account's, not one call's.
      if (retryAfterMs !== undefined && retryAfterMs > 0)
        nextAt = Math.max(nextAt, t + Math.min(retryAfterMs, maxPauseMs));
      if (permit.grantedAt <= lastCutAt) return;
      cutRate = Math.max(min, rateAt(t) / 2);
      holdUntil = t + holdMs;
      lastCutAt = t;
      cuts++;
      // The next call keeps the new spacing even if a slot at the old rate was already promised.
      nextAt = Math.max(nextAt, t + slotSpanMs / cutRate);
    },

    allowedPerSecond: () => rateAt(now()),

    stats: () => ({
      allowedPerSecond: rateAt(now()),
      maxPerSecond: max,
      throttledAnswers,
      cuts,
      granted,
      peakPerSecond,
      waiting: { interactive: lanes.interactive.length, bulk: lanes.bulk.length },
    }),
  };
}
