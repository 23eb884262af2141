import type { Clock } from './ids.js';

/**
 * Slack's Web API rate limits (docs.slack.dev/apis/web-api/rate-limits): per method, per app, per workspace, in tiers
 * of "N+ per minute" with bursts tolerated. We model each as a token bucket holding one minute's allowance that
 * refills continuously, so a burst of N passes and the next call waits its share of the minute.
 */
export const TIER_PER_MINUTE = { 1: 1, 2: 20, 3: 50, 4: 100 } as const;

/** The tier of each implemented method, from Slack's method reference pages. */
export const METHOD_PER_MINUTE: Readonly<Record<string, number>> = {
  'auth.test': TIER_PER_MINUTE[4], // "Special", thousands per hour; Tier 4 is the closest bucket
  // Special: ~1/s per channel (below) plus a workspace-wide "several hundred per minute".
  'chat.postMessage': 300,
  'chat.postEphemeral': TIER_PER_MINUTE[4],
  'chat.update': TIER_PER_MINUTE[3],
  'chat.getPermalink': TIER_PER_MINUTE[4],
  'conversations.replies': TIER_PER_MINUTE[3],
  'conversations.info': TIER_PER_MINUTE[3],
  'conversations.members': TIER_PER_MINUTE[4],
  'conversations.open': TIER_PER_MINUTE[3],
  'conversations.history': TIER_PER_MINUTE[3],
  'users.info': TIER_PER_MINUTE[4],
  'users.list': TIER_PER_MINUTE[2],
  'usergroups.users.list': TIER_PER_MINUTE[2],
  'views.open': TIER_PER_MINUTE[4],
  'views.update': TIER_PER_MINUTE[4],
  'views.push': TIER_PER_MINUTE[4],
  'views.publish': TIER_PER_MINUTE[4],
  'files.getUploadURLExternal': TIER_PER_MINUTE[4],
  'files.completeUploadExternal': TIER_PER_MINUTE[4],
};

export interface RateLimitOptions {
  /** Default true: the stand-in exists to surface what real Slack would refuse. */
  enabled?: boolean;
  /** Per-method overrides of calls per minute (also the burst size). */
  perMinute?: Record<string, number>;
  /** chat.postMessage messages per second per channel; Slack: "generally 1". */
  postMessagePerChannelPerSecond?: number;
  /** Messages Slack lets through at once per channel before the 1/s pace applies; Slack publishes no number. */
  postMessageBurst?: number;
}

export type Throttle = { limited: false } | { limited: true; retryAfterSec: number; reason: string };

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  take(now: number): Throttle {
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { limited: false };
    }
    // Retry-After is whole seconds on the wire, and web-api sleeps exactly that long, so never answer 0.
    const waitMs = (1 - this.tokens) / this.perMs;
    return { limited: true, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)), reason: '' };
  }
}

export class RateLimiter {
  private options: Required<RateLimitOptions>;
  private readonly methodBuckets = new Map<string, TokenBucket>();
  private readonly channelBuckets = new Map<string, TokenBucket>();

  constructor(
    private readonly now: Clock,
    options: RateLimitOptions = {},
  ) {
    this.options = RateLimiter.resolve(options);
  }

  private static resolve(options: RateLimitOptions): Required<RateLimitOptions> {
    return {
      enabled: options.enabled ?? true,
      perMinute: { ...METHOD_PER_MINUTE, ...options.perMinute },
      postMessagePerChannelPerSecond: options.postMessagePerChannelPerSecond ?? 1,
      postMessageBurst: options.postMessageBurst ?? 3,
    };
  }

  configure(options: RateLimitOptions): void {
    this.options = RateLimiter.resolve({ ...this.options, ...options });
    this.methodBuckets.clear();
    this.channelBuckets.clear();
  }

  /** Charge one call to `method`; `channel` is set for chat.postMessage, which Slack also paces per channel. */
  check(method: string, channel?: string): Throttle {
    if (!this.options.enabled) return { limited: false };
    const now = this.now();
    const perMinute = this.options.perMinute[method];
    if (perMinute !== undefined) {
      let bucket = this.methodBuckets.get(method);
      if (!bucket) {
        bucket = new TokenBucket(perMinute, perMinute / 60_000, now);
        this.methodBuckets.set(method, bucket);
      }
      const result = bucket.take(now);
      if (result.limited) return { ...result, reason: `${method} exceeded ${perMinute}/min` };
    }
    if (channel !== undefined) {
      let bucket = this.channelBuckets.get(channel);
      if (!bucket) {
        const perSecond = this.options.postMessagePerChannelPerSecond;
        bucket = new TokenBucket(this.options.postMessageBurst, perSecond / 1000, now);
        this.channelBuckets.set(channel, bucket);
      }
      const result = bucket.take(now);
      if (result.limited) return { ...result, reason: `chat.postMessage to ${channel} exceeded 1/s` };
    }
    return { limited: false };
  }
}

/** Small seeded PRNG (mulberry32): the same seed gives the same fault sequence on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface FaultOptions {
  /** Seed for the rate-based faults below. */
  seed?: number;
  /** Fraction of calls (0–1) answered 429 with Retry-After. */
  rateLimitRate?: number;
  /** Fraction of calls (0–1) answered with a 5xx. */
  serverErrorRate?: number;
  retryAfterSec?: number;
  serverErrorStatus?: number;
  /** Only these methods are faulted (default: all). */
  methods?: string[];
}

export type Fault = { kind: 'ratelimited'; retryAfterSec: number } | { kind: 'server_error'; status: number };

interface Queued {
  fault: Fault;
  remaining: number;
  method: string | undefined;
}

/** Injected failures: "the next N calls" (exact) and "a fraction of calls" (seeded, deterministic). */
export class FaultInjector {
  private queue: Queued[] = [];
  private options: FaultOptions = {};
  private random = seededRandom(1);

  /** Answer the next `count` calls (to `method`, if given) with HTTP 429 and `Retry-After: retryAfterSec`. */
  rateLimitNext(count: number, opts: { retryAfterSec?: number; method?: string } = {}): void {
    this.queue.push({
      fault: { kind: 'ratelimited', retryAfterSec: opts.retryAfterSec ?? 1 },
      remaining: count,
      method: opts.method,
    });
  }

  /** Answer the next `count` calls (to `method`, if given) with a 5xx status. */
  serverErrorNext(count: number, opts: { status?: number; method?: string } = {}): void {
    this.queue.push({
      fault: { kind: 'server_error', status: opts.status ?? 503 },
      remaining: count,
      method: opts.method,
    });
  }

  configure(options: FaultOptions): void {
    this.options = { ...options };
    this.random = seededRandom(options.seed ?? 1);
  }

  clear(): void {
    this.queue = [];
    this.configure({});
  }

  decide(method: string): Fault | undefined {
    const queued = this.queue.find((q) => q.remaining > 0 && (q.method === undefined || q.method === method));
    if (queued) {
      queued.remaining -= 1;
      this.queue = this.queue.filter((q) => q.remaining > 0);
      return queued.fault;
    }
    const { methods, rateLimitRate = 0, serverErrorRate = 0 } = this.options;
    if (methods && !methods.includes(method)) return undefined;
    if (rateLimitRate === 0 && serverErrorRate === 0) return undefined;
    // One draw per call keeps the sequence stable whichever faults are enabled.
    const draw = this.random();
    if (draw < rateLimitRate) return { kind: 'ratelimited', retryAfterSec: this.options.retryAfterSec ?? 1 };
    if (draw < rateLimitRate + serverErrorRate) {
      return { kind: 'server_error', status: this.options.serverErrorStatus ?? 503 };
    }
    return undefined;
  }
}
