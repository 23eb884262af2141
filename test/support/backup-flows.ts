/**
 * What a person does in Slack for a backup, as steps e2e tests share: open the modal, fill it in, submit, and wait
 * for the threaded reply. Built on the harness; every step waits for what a person would see.
 */
import { expect } from 'vitest';
import { ACTION, BLOCK, OPTION } from '../../src/blocks/ids.js';
import { ADMIN, BACKUP_PATH, CHANNEL, type Harness, parents } from './harness.js';
import { waitUntil } from './wait-until.js';

/** Stop first and start again afterwards: the modal's options as it opens. */
export const ALL_OPTIONS = [OPTION.stopBefore, OPTION.startAfter];

/** `/cloudphone backup <ids>`, answered within Slack's 3 seconds; resolves to the modal it opened. */
export async function openBackupModal(harness: Harness, ids: string[], channelId = CHANNEL, userId = ADMIN) {
  const command = await harness.driver.slashCommand({
    command: '/cloudphone',
    text: `backup ${ids.join(' ')}`,
    userId,
    channelId,
  });
  expect(command.status).toBe(200);
  expect(command.withinAckBudget).toBe(true);
  const views = await waitUntil(
    () => (harness.slack.openViews(userId).length > 0 ? harness.slack.openViews(userId) : undefined),
    { timeoutMs: 3000, description: 'the backup modal' },
  );
  return views[0]!;
}

/** The modal's values for these apps and options. */
export function backupFormValues(apps: string[], options: string[] = ALL_OPTIONS) {
  return { [BLOCK.apps]: { [ACTION.apps]: apps.join('\n') }, [BLOCK.options]: { [ACTION.options]: options } };
}

/** Opens the modal for `ids`, submits it with `apps`, and checks that the modal closed. */
export async function backupViaModal(harness: Harness, ids: string[], apps: string[], options = ALL_OPTIONS) {
  const view = await openBackupModal(harness, ids);
  const submitted = await harness.driver.submitView({ viewId: view.id, values: backupFormValues(apps, options) });
  expect(submitted.status).toBe(200);
  expect(submitted.outcome.kind).toBe('closed');
  return submitted;
}

/** The first threaded reply under the newest top-level message of `channel`. */
export async function threadedReply(harness: Harness, channel = CHANNEL) {
  return waitUntil(
    () => {
      const parent = harness.slack.messages(channel, { topLevelOnly: true }).at(-1);
      return parent ? harness.slack.threadReplies(channel, parent.ts)[0] : undefined;
    },
    { timeoutMs: 20_000, description: 'the threaded reply' },
  );
}

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
  return waitUntil(() => (repliesFor(harness, requestId).length > 0 ? repliesFor(harness, requestId) : undefined), {
    timeoutMs,
    description: `the reply to ${requestId}`,
  });
}
