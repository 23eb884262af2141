/**
 * Identifiers in the shapes Slack uses, generated deterministically so test failures are reproducible.
 */

/** A clock in epoch milliseconds; every time-dependent rule in the stand-in reads it, so tests can move time. */
export type Clock = () => number;

/**
 * Message timestamps: `"<seconds>.<microseconds, 6 digits>"`, unique and strictly increasing per workspace.
 * Slack's `ts` is both an id and a time, and bots compare them as strings, so a frozen or backwards clock must still
 * produce a larger value: we bump by one microsecond when the clock has not moved.
 */
export class TsSequence {
  private lastMicros = 0n;

  constructor(private readonly now: Clock) {}

  next(): string {
    let micros = BigInt(Math.floor(this.now())) * 1000n;
    if (micros <= this.lastMicros) micros = this.lastMicros + 1n;
    this.lastMicros = micros;
    return formatTs(micros);
  }
}

export function formatTs(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0');
  return `${seconds}.${fraction}`;
}

/** `ts` values as Slack validates them; anything else is `invalid_thread_ts`/`invalid_ts_latest`-style garbage. */
export const TS_PATTERN = /^\d{9,10}\.\d{6}$/;

/** Sequential ids with a Slack-like prefix (`V`, `F`, `D`…): readable in failure output, never reused. */
export class IdSequence {
  private counter = 0;

  next(prefix: string): string {
    this.counter += 1;
    return `${prefix}0${this.counter.toString(36).toUpperCase().padStart(8, '0')}`;
  }
}

/** Slack's permalink path form of a ts: `p` + the digits without the dot. */
export function permalinkPath(channel: string, ts: string): string {
  return `/archives/${channel}/p${ts.replace('.', '')}`;
}
