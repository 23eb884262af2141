import { describe, expect, it } from 'vitest';
import { withAnswerDeadline } from '../../../src/services/access/answer-deadline.js';
import { slackRequestPriority } from '../../../src/startup/cloud.js';

describe('the lane of a cloud call', () => {
  it('is interactive for what a Slack request runs, even past its answer deadline, and bulk elsewhere', async () => {
    expect(slackRequestPriority()).toBe('bulk');
    const inside = await withAnswerDeadline(Date.now() + 3000, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return slackRequestPriority();
    });
    expect(inside).toBe('interactive');
    expect(withAnswerDeadline(Date.now() - 1, () => slackRequestPriority())).toBe('interactive');
    expect(slackRequestPriority()).toBe('bulk');
  });
});
