/**
 * Which of a schedule's slots to run now. Pure: the slot taker (slot-taker.ts) records what this decides in one
 * transaction with the schedule's move past the slots.
 *
 * Normally one slot has come and it runs. After the bot was down, several may have: the newest runs once if it is
 * younger than the catch-up window (CLOUDPHONE_SCHEDULE_CATCH_UP), and every other one is reported as missed, never run.
 */
import { type Cadence, nextRun, nextRuns } from './cadence.js';

/** Missed slots are counted up to this many (a once-a-minute schedule down for a month is still one message). */
const MAX_SLOTS_COUNTED = 10_000;

export interface DueSlots {
  /** The slot to run now, if one is young enough. */
  runSlot: number | undefined;
  /** Slots that will never run (too old, or older than the one that runs). */
  missed: { count: number; first: number; last: number } | undefined;
  /** The first slot after `now`: where the schedule moves to. */
  nextSlotAt: number | undefined;
}

export function dueSlots(input: { cadence: Cadence; firstDue: number; now: number; catchUpMs: number }): DueSlots {
  const { cadence, firstDue, now, catchUpMs } = input;
  const slots = [firstDue];
  let last = firstDue;
  // Walk the slots up to now in pages (croner computes them in the zone, daylight saving included).
  while (slots.length < MAX_SLOTS_COUNTED) {
    const page = nextRuns(cadence, last, 100).filter((slot) => slot <= now);
    if (page.length === 0) break;
    slots.push(...page);
    last = page[page.length - 1] as number;
    if (page.length < 100) break;
  }
  const newest = slots[slots.length - 1] as number;
  const runSlot = now - newest <= catchUpMs ? newest : undefined;
  const missedSlots = runSlot === undefined ? slots : slots.slice(0, -1);
  return {
    runSlot,
    missed:
      missedSlots.length === 0
        ? undefined
        : { count: missedSlots.length, first: missedSlots[0] as number, last: missedSlots.at(-1) as number },
    nextSlotAt: nextRun(cadence, Math.max(now, newest)),
  };
}
