/**
 * "Start it now" on a backup reply whose phones the bot could not start again: the service re-checks the person's
 * permission and tries each phone again; the answer is shown only to them.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { startNowMessage } from '../blocks/backup-messages.js';
import type { Services } from '../services/index.js';
import { actorOf, afterAck, channelOf, ephemeral } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export function startLeftPhones(services: Services) {
  return async ({ ack, body, action, respond, logger }: ActionArgs): Promise<void> => {
    await ack();
    await afterAck(logger, respond, async () => {
      const result = await services.power.startLeftPhones({
        actor: actorOf(body),
        channelId: channelOf(body),
        requestId: action.value ?? '',
      });
      await respond({ ...ephemeral(startNowMessage(result)), replace_original: false });
    });
  };
}
