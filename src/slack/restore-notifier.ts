/**
 * The RestoreNotifier port on Slack's Web API: where restore messages go and how to recover when they cannot go
 * there. Rendering comes from src/blocks. Mirrors the backup notifier (src/slack/notifier.ts), which it leaves alone.
 */
import type { WebClient } from '@slack/web-api';
import { notInChannelMessage } from '../blocks/messages.js';
import { restoreCompletionMarker, restoreCompletionReply, restoreParentMessage } from '../blocks/restore-messages.js';
import type { Logger } from '../logger.js';
import type { MessageRef } from '../services/ports.js';
import type { RestoreRequestView } from '../services/restore-model.js';
import type { RestoreNotifier } from '../services/restore-ports.js';
import { slackErrorCode } from './notifier.js';
import { findReplyWithMarker } from './thread.js';

/** Errors that mean "this channel cannot take the bot's messages"; the person is told in a DM instead. */
const CHANNEL_UNUSABLE = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'restricted_action',
  'cannot_dm_bot',
  'ekm_access_denied',
]);

export function createRestoreNotifier(deps: { client: WebClient; logger: Logger }): RestoreNotifier {
  const { client, logger } = deps;

  async function post(channel: string, message: { text: string; blocks?: unknown[] }, threadTs?: string) {
    const result = await client.chat.postMessage({
      channel,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks as never } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
    });
    return { channel: result.channel ?? channel, ts: result.ts ?? '' };
  }

  function findExistingReply(parent: MessageRef, requestId: string): Promise<string | undefined> {
    return findReplyWithMarker(client, parent, restoreCompletionMarker(requestId));
  }

  return {
    async announce(view: RestoreRequestView): Promise<MessageRef> {
      const message = restoreParentMessage(view);
      try {
        return await post(view.channelId, message);
      } catch (error) {
        const code = slackErrorCode(error);
        if (!code || !CHANNEL_UNUSABLE.has(code)) throw error;
        logger.info({ requestId: view.id, code }, 'channel unusable; reporting the restore to the person directly');
        await post(view.actor.userId, notInChannelMessage(view.channelId));
        return await post(view.actor.userId, message);
      }
    },

    async progress(view: RestoreRequestView, parent: MessageRef): Promise<void> {
      const message = restoreParentMessage(view);
      await client.chat.update({
        channel: parent.channel,
        ts: parent.ts,
        text: message.text,
        blocks: message.blocks as never,
      });
    },

    async complete(view: RestoreRequestView, parent: MessageRef | undefined): Promise<MessageRef> {
      if (parent) {
        const existing = await findExistingReply(parent, view.id);
        if (existing) return { channel: parent.channel, ts: existing };
      }
      const reply = restoreCompletionReply(view);
      return post(parent?.channel ?? view.channelId, reply, parent?.ts);
    },
  };
}
