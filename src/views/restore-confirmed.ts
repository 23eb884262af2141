/**
 * The restore confirmation's submission: the service checks the permission again (with the backup's location) and
 * records the restore before the ack; the modal closes and the channel message takes over. Problems show under the
 * stopped-targets choice when the view has one, else as a notice in place of the confirmation.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { admissionRefusalText } from '../blocks/admission.js';
import { retryLinkText } from '../blocks/backup-messages.js';
import { noticeUpdate, refusedConfirmation } from '../blocks/common.js';
import { BLOCK, CALLBACK } from '../blocks/ids.js';
import { confirmHasChoice, RESTORE_TEXT, readRestoreConfirm } from '../blocks/restore-modal.js';
import type { Services } from '../services/index.js';
import { includedTargets } from '../services/restore/compat.js';
import { actorOf, parseMetadata } from '../slack/listener-helpers.js';

type ViewArgs = SlackViewMiddlewareArgs & AllMiddlewareArgs;

const ConfirmMetadata = z.object({ planId: z.string().min(1) });

const PROBLEMS = {
  'not-found': 'The bot has no record of this plan any more. Start again with /cloudphone restore.',
  'not-yours': 'Only the person who checked these targets can confirm this restore.',
  'choose-stopped': 'Choose whether to start the stopped targets first or leave them out.',
  'nothing-to-restore':
    'With the stopped targets left out there is nothing left to restore: start them first, or cancel.',
} as const;

export function restoreConfirmed(services: Services) {
  return async ({ ack, view, body, client, logger }: ViewArgs): Promise<void> => {
    const metadata = parseMetadata(ConfirmMetadata, view.private_metadata);
    const where = { callbackId: CALLBACK.restoreNotice, title: RESTORE_TEXT.title };
    if (!metadata) return ack(noticeUpdate({ ...where, text: PROBLEMS['not-found'] }));
    const { startStopped } = readRestoreConfirm(view.state.values);
    const result = await services.restores.confirm({
      actor: actorOf(body),
      planId: metadata.planId,
      startStopped,
      // The same confirmation submitted twice (a retry, a double click) carries the same view id: one restore.
      confirmKey: `view:${view.id}`,
    });
    if (result.ok) {
      await ack();
      if (result.created) await linkRetry(services, client, logger, result.requestId);
      return;
    }
    const actor = actorOf(body);
    // Under the stopped-targets choice when the confirmation has one, else a notice in its place.
    const plan = services.restores.get(metadata.planId);
    const fieldBlock = plan && confirmHasChoice(plan) ? BLOCK.restoreStopped : undefined;
    if (result.reason === 'refused') {
      const text = admissionRefusalText(result.refusal, actor.userId, 'plain');
      return ack(
        fieldBlock
          ? { response_action: 'errors', errors: { [fieldBlock]: text } }
          : noticeUpdate({ ...where, text: `⛔ ${text}` }),
      );
    }
    return ack(refusedConfirmation(result, PROBLEMS, { ...where, fieldBlock }));
  };
}

/** A retry of a restore's failed targets, once confirmed, is named in the first restore's thread. */
async function linkRetry(
  services: Services,
  client: ViewArgs['client'],
  logger: ViewArgs['logger'],
  requestId: string,
): Promise<void> {
  const retry = services.restores.get(requestId);
  const first = retry?.retryOf === undefined ? undefined : services.restores.get(retry.retryOf);
  if (!retry?.retryOf || !first?.parent) return;
  // Only the targets that failed in the first restore are retries (what its "Retry failed…" offered); others are new.
  const failedBefore = new Set(services.restores.retryForm(retry.retryOf)?.targetIds);
  const text = retryLinkText({
    userId: retry.actor.userId,
    instances: includedTargets(retry).filter((t) => failedBefore.has(t.instanceId)).length,
    newRequestId: requestId,
    noun: 'failed target',
  });
  await client.chat
    .postMessage({ channel: first.parent.channel, thread_ts: first.parent.ts, text })
    .catch((error: unknown) => logger.warn({ err: error, requestId }, 'could not link the retry in the thread'));
}
