/**
 * When a completion reply Slack refused is tried again, for backups and restores alike: doubling from half a second
 * up to a minute between attempts, and given up (logged, the request still finishes) after 30 attempts.
 */
const MAX_REPORT_ATTEMPTS = 30;

export type NextReportAttempt = { giveUp: true } | { giveUp: false; delayMs: number };

/** `attempts`: how many times posting the reply has failed before this failure. */
export function nextReportAttempt(attempts: number): NextReportAttempt {
  if (attempts + 1 >= MAX_REPORT_ATTEMPTS) return { giveUp: true };
  return { giveUp: false, delayMs: Math.min(60_000, 500 * 2 ** attempts) };
}
