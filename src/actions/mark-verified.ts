/**
 * "Mark restore verified" on a restore's completion reply: the service checks the person may restore those instances
 * and records who verified which backup; the reply is updated in place to say so. A refusal is shown only to them.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { restoreCompletionReply, verifyRefusedMessage } from '../blocks/restore-messages.js';
import type { Services } from '../services/index.js';
import { actorOf, afterAck, channelOf, ephemeral } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export function markVerified(services: Services) {
  return async ({ ack, body, action, client, respond, logger }: ActionArgs): Promise<void> => {
    await ack();
    await afterAck(logger, respond, async () => {
      const channelId = channelOf(body);
      const result = await services.restores.verify({ actor: actorOf(body), channelId, requestId: action.value ?? '' });
      if (!result.ok) {
        await respond({ ...ephemeral(verifyRefusedMessage(result.reason, result.message)), replace_original: false });
        return;
      }
      const messageTs = body.message?.ts ?? body.container?.message_ts;
      if (!messageTs || !channelId) return;
      const reply = restoreCompletionReply(result.request);
      await client.chat.update({ channel: channelId, ts: messageTs, text: reply.text, blocks: reply.blocks as never });
    });
  };
}
