/**
 * The restore confirmation's submission: the service checks the permission again (with the backup's location) and
 * records the restore before the ack; the modal closes and the channel message takes over. Problems show under the
 * stopped-targets choice when the view has one, else as a notice in place of the confirmation.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { noticeUpdate, refusedConfirmation } from '../blocks/common.js';
import { BLOCK, CALLBACK } from '../blocks/ids.js';
import { confirmHasChoice, RESTORE_TEXT, readRestoreConfirm } from '../blocks/restore-modal.js';
import type { Services } from '../services/index.js';
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
  return async ({ ack, view, body }: ViewArgs): Promise<void> => {
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
    if (result.ok) return ack();
    // Under the stopped-targets choice when the confirmation has one, else a notice in its place.
    const plan = services.restores.get(metadata.planId);
    const fieldBlock = plan && confirmHasChoice(plan) ? BLOCK.restoreStopped : undefined;
    return ack(refusedConfirmation(result, PROBLEMS, { ...where, fieldBlock }));
  };
}
