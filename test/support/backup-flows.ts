/**
 * What a person does in Slack for backups, as steps e2e tests share: the inline command, and waiting for its reply.
 */
import { expect } from 'vitest';
import { ADMIN, BACKUP_PATH, CHANNEL, type Harness, parents } from './harness.js';

/** `/cloudphone backup <ids> --apps …` typed by the admin; resolves to the bot's request id from the answer. */
export async function inlineBackup(harness: Harness, ids: string[], apps = ['com.tencent.mm']) {
  const res = await harness.driver.slashCommand({
    command: '/cloudphone',
    text: `backup ${ids.join(' ')} --apps ${apps.join(',')} --path ${BACKUP_PATH}`,
    userId: ADMIN,
    channelId: CHANNEL,
  });
  expect(res.status).toBe(200);
  const requestId = /req-[0-9a-f]+/.exec(JSON.stringify(res.body))?.[0];
  expect(requestId).toBeDefined();
  return requestId!;
}

/** The threaded replies under the parent message of a request. */
export function repliesFor(harness: Harness, requestId: string) {
  return parents(harness.slack)
    .filter((p) => JSON.stringify(p.blocks).includes(requestId))
    .flatMap((p) => harness.slack.threadReplies(CHANNEL, p.ts));
}

/** Waits until the request's thread has a reply; resolves to all its replies. */
export async function waitForReply(harness: Harness, requestId: string, timeoutMs = 30_000) {
  return harness.slack.waitFor(
    () => (repliesFor(harness, requestId).length > 0 ? repliesFor(harness, requestId) : undefined),
    {
      timeoutMs,
      description: `the reply to ${requestId}`,
    },
  );
}
