import { describe, expect, it } from 'vitest';
import { nextReportAttempt } from '../../../../src/services/pipeline/report-retry.js';

describe('retrying a completion reply Slack refused', () => {
  it('doubles the wait from half a second up to a minute, then gives up after the 30th failure', () => {
    expect(nextReportAttempt(0)).toEqual({ giveUp: false, delayMs: 500 });
    expect(nextReportAttempt(1)).toEqual({ giveUp: false, delayMs: 1_000 });
    expect(nextReportAttempt(6)).toEqual({ giveUp: false, delayMs: 32_000 });
    expect(nextReportAttempt(7)).toEqual({ giveUp: false, delayMs: 60_000 });
    expect(nextReportAttempt(28)).toEqual({ giveUp: false, delayMs: 60_000 });
    expect(nextReportAttempt(29)).toEqual({ giveUp: true });
  });
});
