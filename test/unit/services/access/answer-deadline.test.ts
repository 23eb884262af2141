import { describe, expect, it } from 'vitest';
import { answerWaitMs, withAnswerDeadline } from '../../../../src/services/access/answer-deadline.js';

describe('answerWaitMs: how long a lookup may take while Slack waits', () => {
  it('is the wanted time outside a Slack request, and the time left (never negative) inside one', () => {
    expect(answerWaitMs(1_500, 10_000)).toBe(1_500);
    expect(withAnswerDeadline(12_000, () => answerWaitMs(1_500, 10_000))).toBe(1_500);
    // A form that already spent most of its answer on a name's listing has less for the id lookup after it.
    expect(withAnswerDeadline(10_600, () => answerWaitMs(1_500, 10_000))).toBe(600);
    expect(withAnswerDeadline(9_000, () => answerWaitMs(1_500, 10_000))).toBe(0);
  });
});
