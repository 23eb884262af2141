/**
 * The account's call-rate quota, enforced as the gateway does with flow control: once `callsPerSecond` calls were
 * accepted within the last second, the next one is refused with 400 `Throttling.User` and an `x-acs-retry-after`
 * (ms) saying when a slot frees. Refused calls have no effect and do not use up the quota.
 *
 * It also measures what the client sent, limit or not: the most calls that arrived within any one second, refused ones included.
 * That peak, set against the limit, is how a test or the bench shows a client keeps under the quota. Time is real
 * (monotonic) by default, apart from the simulator's virtual clock: a rate is about how fast the client really sends.
 */
import { performance } from 'node:perf_hooks';

export interface RateLimitOptions {
  /** Calls accepted per sliding second, over all actions (the account's quota). */
  callsPerSecond: number;
  /** Monotonic milliseconds. Default `performance.now`. */
  now?: (() => number) | undefined;
}

export interface CallRateReport {
  /** The enforced limit, calls per second; undefined when no limit is set. */
  limitPerSecond: number | undefined;
  /** Most calls (accepted or refused) that arrived within any one second since the start or the last `set`. */
  peakPerSecond: number;
  /** Calls refused as throttled by the limit since then. */
  throttled: number;
  /** Calls that arrived since then. */
  calls: number;
  /**
   * With a limit: the shortest time in which limit + 1 calls arrived (ms), i.e. how close the client came to putting
   * one call too many in a second; above 1000 it never did. Undefined until limit + 1 calls arrived.
   */
  tightestMs: number | undefined;
}

const WINDOW_MS = 1000;

/** Timestamps within the last second, oldest first. */
class SlidingSecond {
  private times: number[] = [];
  private head = 0;

  /** Drops what is a second old or older at `t`, and returns how many remain. */
  countAt(t: number): number {
    while (this.head < this.times.length && (this.times[this.head] as number) <= t - WINDOW_MS) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  add(t: number): void {
    this.times.push(t);
  }

  /** When the oldest entry leaves the window. */
  oldestLeavesAt(): number | undefined {
    const oldest = this.times[this.head];
    return oldest === undefined ? undefined : oldest + WINDOW_MS;
  }
}

export class CallRateLimit {
  private options: RateLimitOptions | undefined;
  private accepted = new SlidingSecond();
  private arrived = new SlidingSecond();
  private peak = 0;
  private throttledCount = 0;
  private calls = 0;
  /** The last limit + 1 arrival times (a ring), for the tightest span. */
  private lastArrivals: number[] = [];
  private tightest: number | undefined;

  /** Sets (or with undefined, lifts) the limit and starts the measurement afresh. */
  set(options: RateLimitOptions | undefined): void {
    if (options !== undefined && !(Number.isFinite(options.callsPerSecond) && options.callsPerSecond > 0)) {
      throw new RangeError(`rateLimit.callsPerSecond must be a positive number, got ${options.callsPerSecond}`);
    }
    this.options = options;
    this.accepted = new SlidingSecond();
    this.arrived = new SlidingSecond();
    this.peak = 0;
    this.throttledCount = 0;
    this.calls = 0;
    this.lastArrivals = [];
    this.tightest = undefined;
  }

  /**
   * Counts one authenticated call (measured with or without a limit); returns the wait to advertise (ms) when the
   * limit refuses it, else undefined.
   */
  admit(): number | undefined {
    const t = this.options?.now ? this.options.now() : performance.now();
    this.calls++;
    this.arrived.add(t);
    this.peak = Math.max(this.peak, this.arrived.countAt(t));
    if (this.options === undefined) return undefined;
    this.measureSpan(t, Math.floor(this.options.callsPerSecond) + 1);
    if (this.accepted.countAt(t) >= this.options.callsPerSecond) {
      this.throttledCount++;
      return Math.max(1, Math.ceil((this.accepted.oldestLeavesAt() ?? t) - t));
    }
    this.accepted.add(t);
    return undefined;
  }

  /** Keeps the shortest span of `n` consecutive arrivals so far (`t` is the latest, the `calls`-th). */
  private measureSpan(t: number, n: number): void {
    const ring = this.lastArrivals;
    ring[(this.calls - 1) % n] = t;
    if (ring.length < n) return;
    const span = t - (ring[this.calls % n] as number);
    this.tightest = Math.min(this.tightest ?? span, span);
  }

  report(): CallRateReport {
    return {
      limitPerSecond: this.options?.callsPerSecond,
      peakPerSecond: this.peak,
      throttled: this.throttledCount,
      calls: this.calls,
      tightestMs: this.tightest,
    };
  }
}
