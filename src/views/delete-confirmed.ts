/**
 * The delete confirmations. The first one: when any backup was never verified by a restore, the second confirmation
 * is pushed on top (it names the risk); otherwise, or from the second one, the service checks the permission and
 * records the deletion before the ack, the modal closes, and the runner sends it and posts the outcome in the channel.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { noticeUpdate, refusedConfirmation } from '../blocks/common.js';
import { buildDeleteSecondConfirm, readDeleteAcknowledge } from '../blocks/delete-modal.js';
import { BLOCK, CALLBACK } from '../blocks/ids.js';
import { unverifiedFiles } from '../services/delete/service.js';
import type { Services } from '../services/index.js';
import { actorOf, parseMetadata } from '../slack/listener-helpers.js';

type ViewArgs = SlackViewMiddlewareArgs & AllMiddlewareArgs;

const DeleteMetadata = z.object({ deleteId: z.string().min(1) });

const PROBLEMS = {
  'not-found': 'The bot has no record of this deletion any more. Start again with /cloudphone delete.',
  'not-yours': 'Only the person who asked for this deletion can confirm it.',
  'nothing-to-delete': 'None of these backups can be deleted.',
  'needs-second-confirmation': 'Tick the box to confirm that you understand the risk.',
} as const;

const NOTICE = { callbackId: CALLBACK.deleteNotice, title: 'Delete backups' };

const notice = (text: string) => noticeUpdate({ ...NOTICE, text });

export function deleteConfirmed(services: Services) {
  return async (args: ViewArgs): Promise<void> => {
    const { ack, view } = args;
    const metadata = parseMetadata(DeleteMetadata, view.private_metadata);
    if (!metadata) return ack(notice(PROBLEMS['not-found']));
    const plan = services.deletions.get(metadata.deleteId);
    if (plan && unverifiedFiles(plan).length > 0) {
      // Never verified: a second, explicit confirmation on top (root + 1 of Slack's 3 views).
      return ack({ response_action: 'push', view: buildDeleteSecondConfirm(plan) });
    }
    return confirmAndDelete(services, args, metadata.deleteId, false);
  };
}

export function deleteUnverifiedConfirmed(services: Services) {
  return async (args: ViewArgs): Promise<void> => {
    const { ack, view } = args;
    const metadata = parseMetadata(DeleteMetadata, view.private_metadata);
    if (!metadata) return ack(notice(PROBLEMS['not-found']));
    if (!readDeleteAcknowledge(view.state.values)) {
      return ack({
        response_action: 'errors',
        errors: { [BLOCK.deleteAcknowledge]: PROBLEMS['needs-second-confirmation'] },
      });
    }
    return confirmAndDelete(services, args, metadata.deleteId, true);
  };
}

async function confirmAndDelete(
  services: Services,
  { ack, body, view }: ViewArgs,
  deleteId: string,
  acknowledgedUnverified: boolean,
): Promise<void> {
  const result = await services.deletions.confirm({ actor: actorOf(body), deleteId, acknowledgedUnverified });
  if (!result.ok) {
    // The second confirmation has a field to show the problem under; the first shows a notice instead.
    const fieldBlock = view.callback_id === CALLBACK.deleteConfirmUnverified ? BLOCK.deleteAcknowledge : undefined;
    return ack(refusedConfirmation(result, PROBLEMS, { ...NOTICE, fieldBlock }));
  }
  // Recorded before this ack; the runner sends it and posts the outcome in the channel.
  await ack({ response_action: 'clear' });
}
