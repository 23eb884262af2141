/**
 * Two-person approval through the Slack stand-in, for any kind that waits (restores, deletions, schedules): clicking
 * on the message that asks the approvers, the answer only the clicking person sees, and that message once its
 * buttons were replaced by the outcome.
 */
import { expect } from 'vitest';
import { ACTION } from '../../src/blocks/ids.js';
import type { Harness } from './harness.js';
import { shown } from './restore-flows.js';
import { waitUntil } from './wait-until.js';

/** Clicks `actionId` (Approve / Deny) on the approvers' message `ask` in `channel` as `userId`. */
export async function clickOnAsk(
  harness: Harness,
  ask: { ts: string },
  actionId: string,
  userId: string,
  channel: string,
) {
  const res = await harness.driver.clickButton({ channel, messageTs: ask.ts, actionId, userId });
  expect(res.status).toBe(200);
  return res;
}

/** The newest answer only `user` saw after clicking. */
export async function answerTo(harness: Harness, user: string, containing: RegExp) {
  return waitUntil(() => harness.slack.ephemerals(user).find((e) => containing.test(shown(e))), {
    timeoutMs: 10_000,
    description: `an answer to ${user} matching ${containing}`,
  });
}

/** The approvers' message once the bot replaced its buttons with the outcome (`word`: Approved, Denied, …). */
export async function closedAsk(harness: Harness, ask: { ts: string }, word: string, channel: string) {
  return waitUntil(
    () => {
      const updated = harness.slack.messages(channel, { topLevelOnly: true }).find((m) => m.ts === ask.ts);
      const text = shown(updated?.blocks);
      return updated && text.includes(word) && !text.includes(ACTION.approvalApprove) ? updated : undefined;
    },
    { timeoutMs: 10_000, description: `the approval request marked ${word}` },
  );
}
