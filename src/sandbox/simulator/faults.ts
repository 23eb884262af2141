/**
 * Injected faults: what a client must survive on the way to the real service. Each rule fires at a rate (default:
 * always), optionally only for some actions and at most `times` times, drawing from a seeded stream so a run is
 * reproducible.
 */
import type { Rng } from './random.js';

export interface FaultRule {
  /** Probability per matching request, 0–1. Default 1. */
  rate?: number | undefined;
  /** Only these actions. Default: every action (for `dropAfterApply`: every mutating action). */
  actions?: string[] | undefined;
  /** Fire at most this many times, then stop. Default: no limit. */
  times?: number | undefined;
}

export interface Faults {
  /** 400 `Throttling.User` with an `x-acs-retry-after` header (milliseconds, as Darabonba's retry policy reads it). */
  throttle?: (FaultRule & { retryAfterMs?: number | undefined }) | undefined;
  /** 500 `InternalError` or 503 `ServiceUnavailable` (default: alternating by draw). */
  serverError?: (FaultRule & { status?: 500 | 503 | undefined }) | undefined;
  /** Answers after a real (wall-clock) delay; the request itself is processed on arrival. */
  delay?: (FaultRule & { ms: number }) | undefined;
  /** The connection is closed without an answer and the request has no effect. */
  drop?: FaultRule | undefined;
  /** The request takes effect, then the connection is closed without an answer: the "outcome unknown" case. */
  dropAfterApply?: FaultRule | undefined;
  /**
   * A refusal for good, with no effect: a 4xx with this `code` (say `Forbidden.RAM`, or a quota). Usually limited to
   * one operation with `actions`, to see how a flow handles the cloud refusing one step of it.
   */
  refuse?: (FaultRule & { code: string; status?: number | undefined; message?: string | undefined }) | undefined;
}

export type FaultKind = keyof Faults;

export class FaultInjector {
  private faults: Faults = {};
  private fired = new Map<FaultKind, number>();

  constructor(private readonly rng: Rng) {}

  /** Replaces every rule and resets the `times` counters. */
  set(faults: Faults): void {
    for (const [kind, rule] of Object.entries(faults) as [FaultKind, FaultRule | undefined][]) {
      const rate = rule?.rate ?? 1;
      if (!(rate >= 0 && rate <= 1)) throw new RangeError(`faults.${kind}.rate must be within 0..1, got ${rate}`);
    }
    this.faults = { ...faults };
    this.fired.clear();
  }

  current(): Faults {
    return { ...this.faults };
  }

  /** The rule of `kind` if it fires for this request. */
  pick<K extends FaultKind>(kind: K, action: string, mutating: boolean): Faults[K] | undefined {
    const rule = this.faults[kind] as FaultRule | undefined;
    if (!rule) return undefined;
    if (rule.actions ? !rule.actions.includes(action) : kind === 'dropAfterApply' && !mutating) return undefined;
    const fired = this.fired.get(kind) ?? 0;
    if (rule.times !== undefined && fired >= rule.times) return undefined;
    const rate = rule.rate ?? 1;
    // Draw only for real odds, so adding an always-on rule does not shift the other rules' draws.
    if (rate < 1 && !(rate > 0 && this.rng() < rate)) return undefined;
    this.fired.set(kind, fired + 1);
    return this.faults[kind];
  }

  /** For 5xx without a fixed status: a fair draw between the two. */
  coin(): boolean {
    return this.rng() < 0.5;
  }
}
