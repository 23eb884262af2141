/**
 * "Cancel" on a running request's message, of any kind (pipeline/cancel.ts): the service checks the person may do
 * what the request does and records the cancel; the request skips, at its next step, what it has not sent. The answer,
 * only to them, says plainly what had already reached the cloud and cannot be called back. The request's own message
 * says so at its next update.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { alreadyCancelledAnswer, cancelAnswer } from '../blocks/cancel-messages.js';
import { permissionDeniedMessage } from '../blocks/messages.js';
import type { Services } from '../services/index.js';
import { actorOf, afterAck, channelOf, ephemeral } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

const REFUSED = {
  'not-found': 'The bot has no record of this request.',
  finished: 'This request had already finished: there was nothing left to cancel.',
  'not-cancellable': 'This request cannot be cancelled from here.',
} as const;

export function cancelRequest(services: Services) {
  return async ({ ack, body, action, respond, logger }: ActionArgs): Promise<void> => {
    await ack();
    await afterAck(logger, respond, async () => {
      const result = await services.cancels.cancel({
        actor: actorOf(body),
        channelId: channelOf(body),
        requestId: action.value ?? '',
      });
      const answer = result.ok
        ? { text: cancelAnswer(result) }
        : result.reason === 'denied'
          ? permissionDeniedMessage(result.denial)
          : result.reason === 'already-cancelled'
            ? { text: alreadyCancelledAnswer(result.by) }
            : { text: REFUSED[result.reason] };
      await respond({ ...ephemeral(answer), replace_original: false });
    });
  };
}
