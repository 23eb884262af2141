/**
 * "Retry failed…" on a backup's reply: checks the person may back up the failed instances (the same check as a new
 * backup of them), then opens a confirmation that lists them. A refusal, or nothing left to retry, is shown only to
 * them. The confirmation's submission starts the new request (views/backup-retried.ts).
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { retryFailedModal } from '../blocks/backup-messages.js';
import { permissionDeniedMessage } from '../blocks/messages.js';
import type { Services } from '../services/index.js';
import { actorOf, afterAck, channelOf, ephemeral } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export function retryFailed(services: Services) {
  return async ({ ack, body, action, client, respond, logger }: ActionArgs): Promise<void> => {
    await ack();
    await afterAck(logger, respond, async () => {
      const requestId = action.value ?? '';
      const channelId = channelOf(body);
      const spec = services.backups.retrySpec(requestId);
      if (!spec) {
        await respond({
          ...ephemeral({
            text: 'There is nothing to retry: this request has no failed instances (or is still running).',
          }),
          replace_original: false,
        });
        return;
      }
      const pending = await services.backups.authorize(actorOf(body), spec, channelId);
      if (!pending.decision.allowed) {
        pending.record();
        await respond({ ...ephemeral(permissionDeniedMessage(pending.decision)), replace_original: false });
        return;
      }
      const names = services.backups.get(requestId)?.spec.instanceNames;
      await client.views.open({
        trigger_id: body.trigger_id,
        view: retryFailedModal({ requestId, channelId, spec, names }),
      });
    });
  };
}
