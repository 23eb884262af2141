/**
 * The simulator's notion of time. There are no timers: operations schedule future transitions here, and every
 * request (or read of the state) first replays whatever has come due. A client that restarts, or a test that
 * jumps the clock, therefore sees exactly the state the elapsed time implies, and tests never wait for real time.
 */

/** A clock that can be moved forward by tests, on top of an injectable base (default `Date.now`). */
export class VirtualClock {
  private offset = 0;

  constructor(private readonly base: () => number = Date.now) {}

  now(): number {
    return this.base() + this.offset;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance(ms) needs a non-negative number, got ${ms}`);
    this.offset += ms;
  }
}

interface ScheduledEvent {
  at: number;
  seq: number;
  label: string;
  run: (at: number) => void;
}

/**
 * Future transitions, replayed in (time, insertion) order. An event receives its own scheduled time, so timestamps
 * it records (a task's FinishTime, say) are exact no matter how late the replay happens, and events it schedules in
 * turn are relative to that time and replayed in the same pass when they are due too.
 */
export class Timeline {
  private events: ScheduledEvent[] = [];
  private seq = 0;

  schedule(at: number, label: string, run: (at: number) => void): void {
    const event: ScheduledEvent = { at, seq: this.seq++, label, run };
    // Binary search for the first event that sorts after this one; the list stays ordered.
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.events[mid]!;
      if (other.at < at || (other.at === at && other.seq < event.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.events.splice(lo, 0, event);
  }

  /** Runs every event due at or before `now`. Returns how many ran. */
  runUntil(now: number): number {
    let ran = 0;
    for (let next = this.events[0]; next !== undefined && next.at <= now; next = this.events[0]) {
      this.events.shift();
      next.run(next.at);
      ran++;
    }
    return ran;
  }

  /** Labels and times of what is still to come, for debugging and tests. */
  pending(): { at: number; label: string }[] {
    return this.events.map(({ at, label }) => ({ at, label }));
  }
}
