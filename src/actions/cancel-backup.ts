/**
 * "Cancel" on a running backup's channel message: the service checks the person may back up those instances and
 * records the cancel; the workflow skips what it has not sent. The answer, only to them, says plainly what had
 * already reached the cloud and cannot be called back. The channel message says so at its next update.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { cancelAnswer } from '../blocks/backup-messages.js';
import { permissionDeniedMessage } from '../blocks/messages.js';
import type { Services } from '../services/index.js';
import { actorOf, afterAck, channelOf, ephemeral } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

const REFUSED = {
  'not-found': 'The bot has no record of this backup request.',
  finished: 'This backup had already finished: there was nothing left to cancel.',
} as const;

export function cancelBackup(services: Services) {
  return async ({ ack, body, action, respond, logger }: ActionArgs): Promise<void> => {
    await ack();
    await afterAck(logger, respond, async () => {
      const result = await services.backups.cancel({
        actor: actorOf(body),
        channelId: channelOf(body),
        requestId: action.value ?? '',
      });
      const answer = result.ok
        ? { text: cancelAnswer(result) }
        : result.reason === 'denied'
          ? permissionDeniedMessage(result.denial)
          : { text: REFUSED[result.reason] };
      await respond({ ...ephemeral(answer), replace_original: false });
    });
  };
}
