/**
 * "Retry failed…" on a restore's reply: checks the person may restore onto the targets that failed (the same check as
 * a new restore onto them), then opens the restore form with the backup chosen and those targets filled in. The
 * form's usual check and confirmation follow, so the person sees each target checked again before anything happens;
 * once confirmed, the new restore is linked in the first one's thread (views/restore-confirmed.ts).
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { permissionDeniedMessage } from '../blocks/messages.js';
import { openRestoreForm } from '../commands/restore.js';
import type { Services } from '../services/index.js';
import { actorOf, afterAck, channelOf, ephemeral } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export function retryFailedRestore(services: Services) {
  return async ({ ack, body, action, client, respond, logger }: ActionArgs): Promise<void> => {
    await ack();
    await afterAck(logger, respond, async () => {
      const requestId = action.value ?? '';
      const form = services.restores.retryForm(requestId);
      if (!form) {
        const text = 'There is nothing to retry: no target of this restore failed (or it is still running).';
        await respond({ ...ephemeral({ text }), replace_original: false });
        return;
      }
      const actor = actorOf(body);
      const channelId = channelOf(body);
      const { decision, auditId } = await services.restores.authorizePlan(actor, channelId, form);
      if (!decision.allowed) {
        await respond({ ...ephemeral(permissionDeniedMessage(decision)), replace_original: false });
        return;
      }
      await openRestoreForm(services, client, {
        triggerId: body.trigger_id,
        actor,
        channelId,
        backupFileId: form.backupFileId,
        auditId,
        retry: { targetIds: form.targetIds, of: requestId },
      });
    });
  };
}
