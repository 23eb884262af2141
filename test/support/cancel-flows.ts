/** Cancel through the Slack stand-in, for any kind: press it on a message, and read what only the presser was told. */
import { ACTION } from '../../src/blocks/ids.js';
import { CHANNEL, type Harness } from './harness.js';
import { waitUntil } from './wait-until.js';

/** Presses Cancel on the message `messageTs` as `userId`; resolves to the answer only they see. */
export async function pressCancel(h: Harness, messageTs: string, userId: string, channel = CHANNEL) {
  const before = h.slack.ephemerals(userId).length;
  await h.driver.clickButton({ channel, messageTs, actionId: ACTION.cancelRequest, userId });
  return waitUntil(() => h.slack.ephemerals(userId)[before], {
    timeoutMs: 10_000,
    description: `the answer to ${userId}'s Cancel`,
  });
}
