/**
 * When a schedule runs: a five-field cron expression read in an IANA time zone. Parsing, next runs and daylight-saving
 * behaviour are croner's (a well-kept, dependency-free library that computes runs in a zone); the words are
 * cronstrue's. Neither is hand-written here: cron edge cases (DST gaps and repeats, `L`, ranges) are where hand-written
 * parsers go wrong.
 *
 * Daylight saving, as croner documents it and test/unit/schedule-cadence.test.ts shows: a time that does not exist
 * (the spring-forward gap) runs once, when the gap ends (02:30 on a 02:00→03:00 night runs at 03:00); a time that happens twice (the autumn repeat) runs
 * once, at its first occurrence.
 */
import { Cron } from 'croner';
import cronstrue from 'cronstrue';
import type { Check } from '../backup/input.js';

export interface Cadence {
  /** Five fields: minute hour day-of-month month day-of-week. */
  cron: string;
  /** IANA zone the fields are read in, e.g. `Asia/Shanghai`. */
  timeZone: string;
}

export const CADENCE_EXAMPLE = '0 3 * * *';

/** Checks an IANA time zone name the way the runtime will read it. */
export function checkTimeZone(raw: string): Check<string> {
  const value = raw.trim();
  if (value === '') return { ok: false, message: 'Enter a time zone, like `Asia/Shanghai` or `UTC`.' };
  try {
    const canonical = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    return { ok: true, value: canonical };
  } catch {
    return {
      ok: false,
      message: `\`${value.slice(0, 40)}\` is not a time zone: use an IANA name like \`Asia/Shanghai\`, \`Europe/Berlin\` or \`UTC\`.`,
    };
  }
}

/** Checks a cron expression: exactly five fields, and one croner can schedule in the zone. */
export function checkCron(raw: string, timeZone = 'UTC'): Check<string> {
  const value = raw.trim().replace(/\s+/g, ' ');
  if (value === '') return { ok: false, message: `Enter a cadence as five cron fields, like \`${CADENCE_EXAMPLE}\`.` };
  const fields = value.split(' ').length;
  if (fields !== 5) {
    return {
      ok: false,
      message: `\`${value.slice(0, 60)}\` has ${fields} field${fields === 1 ? '' : 's'}: a cadence is five cron fields (minute hour day month weekday), like \`${CADENCE_EXAMPLE}\` for 03:00 every day.`,
    };
  }
  try {
    const cron = new Cron(value, { timezone: timeZone, paused: true });
    if (cron.nextRun() === null) {
      return { ok: false, message: `\`${value}\` never runs (no date matches it). Check the day and month fields.` };
    }
    return { ok: true, value };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `\`${value.slice(0, 60)}\` is not a cron expression (${reason.slice(0, 120)}).` };
  }
}

function cronOf(cadence: Cadence): Cron {
  return new Cron(cadence.cron, { timezone: cadence.timeZone, paused: true });
}

/** The next `count` run times strictly after `after` (epoch ms). */
export function nextRuns(cadence: Cadence, after: number, count: number): number[] {
  return cronOf(cadence)
    .nextRuns(count, new Date(after))
    .map((date) => date.getTime());
}

/** The first run strictly after `after`, or undefined when the expression has no more runs. */
export function nextRun(cadence: Cadence, after: number): number | undefined {
  return nextRuns(cadence, after, 1)[0];
}

/** The cadence in words, e.g. "At 03:00, every day (Asia/Shanghai)". */
export function cadenceInWords(cadence: Cadence): string {
  let words: string;
  try {
    words = cronstrue.toString(cadence.cron, { use24HourTimeFormat: true, verbose: true });
  } catch {
    words = cadence.cron;
  }
  return `${words} (${cadence.timeZone})`;
}
