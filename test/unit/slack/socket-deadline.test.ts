import { describe, expect, it } from 'vitest';
import { answerDeadlinePassed, answerWaitMs } from '../../../src/services/access/answer-deadline.js';
import { socketAnswerDeadline } from '../../../src/slack/socket-deadline.js';

describe('the Socket Mode answer deadline', () => {
  it('gives everything after it the same answer budget the HTTP receiver gives a request', async () => {
    const middleware = socketAnswerDeadline(2_500, () => 10_000);
    const seen: { waitMs: number; passed: boolean; late: boolean }[] = [];
    await middleware({
      next: async () => {
        await Promise.resolve();
        seen.push({
          waitMs: answerWaitMs(5_000, 11_000),
          passed: answerDeadlinePassed(12_000),
          late: answerDeadlinePassed(12_501),
        });
      },
    } as never);
    expect(seen).toEqual([{ waitMs: 1_500, passed: false, late: true }]);
    // Outside it, no deadline applies.
    expect(answerWaitMs(5_000, 11_000)).toBe(5_000);
  });
});
