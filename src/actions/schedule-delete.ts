/**
 * "Delete schedule" on the confirmation of `/cloudphone schedule delete <name>`: the permission (owner or admin) is
 * checked again now, since it may have changed since the confirmation was shown; the answer replaces the confirmation.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { scheduleDeletedMessage } from '../blocks/schedule-messages.js';
import { refusalMessage } from '../commands/schedule.js';
import type { Services } from '../services/index.js';
import { actorOf, afterAck, channelOf, ephemeral } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export function scheduleDelete(services: Services) {
  return async ({ ack, body, action, respond, logger }: ActionArgs): Promise<void> => {
    await ack();
    await afterAck(logger, respond, async () => {
      const result = await services.schedules.delete({
        actor: actorOf(body),
        channelId: channelOf(body),
        scheduleId: action.value ?? '',
      });
      const answer = result.ok ? scheduleDeletedMessage(result.schedule) : refusalMessage(result);
      await respond({ ...ephemeral(answer), replace_original: true });
    });
  };
}
