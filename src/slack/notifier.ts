/**
 * The BackupNotifier port on Slack's Web API. Rendering comes from src/blocks; this file only decides where a
 * message goes and how to recover when it cannot go there.
 */
import type { WebClient } from '@slack/web-api';
import { backupCompletionReply, backupParentMessage, notInChannelMessage } from '../blocks/messages.js';
import type { Logger } from '../logger.js';
import type { BackupRequestView } from '../services/model.js';
import type { BackupNotifier, MessageRef } from '../services/ports.js';
import { createChannelQueue } from './channel-queue.js';
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

export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

/** The block_id that marks a request's parent message, so an interrupted post is found instead of repeated. */
export function parentMarker(requestId: string): string {
  return `parent:${requestId}`;
}

/** The parent message with its marker on the first block. */
function markedParent(view: BackupRequestView) {
  const message = backupParentMessage(view);
  const [first, ...rest] = message.blocks as { block_id?: string }[];
  return { text: message.text, blocks: first ? [{ ...first, block_id: parentMarker(view.id) }, ...rest] : [] };
}

/** The block_id that marks a completion reply, so a re-run after a crash finds it instead of posting again. */
export function completionMarker(requestId: string): string {
  return `completion:${requestId}`;
}

export function createSlackNotifier(deps: {
  client: WebClient;
  logger: Logger;
  /** Least time between two new messages in one conversation (Slack allows about one a second). */
  postIntervalMs?: number;
  /** Resolves when no Slack request waits for its answer (see ack-priority.ts). */
  afterAcks?: () => Promise<void>;
}): BackupNotifier {
  const { client, logger } = deps;
  const queue = createChannelQueue({
    intervalMs: deps.postIntervalMs ?? 1_000,
    ...(deps.afterAcks ? { beforeTask: deps.afterAcks } : {}),
  });

  async function post(
    channel: string,
    message: { text: string; blocks?: unknown[] },
    threadTs?: string,
    options: { urgent?: boolean } = {},
  ) {
    const result = await queue.run(
      channel,
      () =>
        client.chat.postMessage({
          channel,
          text: message.text,
          ...(message.blocks ? { blocks: message.blocks as never } : {}),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          unfurl_links: false,
          unfurl_media: false,
        }),
      { spaced: true, urgent: options.urgent === true },
    );
    return { channel: result.channel ?? channel, ts: result.ts ?? '' };
  }

  function findExistingReply(parent: MessageRef, requestId: string): Promise<string | undefined> {
    return findReplyWithMarker(client, parent, completionMarker(requestId));
  }

  return {
    async announce(view: BackupRequestView): Promise<MessageRef> {
      const message = markedParent(view);
      try {
        return await post(view.channelId, message);
      } catch (error) {
        const code = slackErrorCode(error);
        if (!code || !CHANNEL_UNUSABLE.has(code)) throw error;
        logger.info({ requestId: view.id, code }, 'channel unusable; reporting to the person directly');
        // A DM to the person (channel = their user id) always works for a bot with chat:write.
        const hint = notInChannelMessage(view.channelId);
        await post(view.actor.userId, hint);
        return await post(view.actor.userId, message);
      }
    },

    async findAnnounced(view: BackupRequestView): Promise<MessageRef | undefined> {
      const marker = parentMarker(view.id);
      // Only the channel is searched: a parent that fell back to a DM in the crash window may be posted twice.
      for (const channel of [view.channelId]) {
        try {
          const oldest = String(Math.floor(view.createdAt.getTime() / 1000) - 60);
          const page = await client.conversations.history({ channel, oldest, limit: 200 });
          for (const message of page.messages ?? []) {
            const blocks = (message.blocks ?? []) as { block_id?: string }[];
            if (message.ts && blocks.some((block) => block.block_id === marker)) {
              return { channel, ts: message.ts };
            }
          }
        } catch (error) {
          logger.debug({ requestId: view.id, channel, err: error }, 'could not read history to find the parent');
        }
      }
      return undefined;
    },

    async progress(view: BackupRequestView, parent: MessageRef): Promise<void> {
      const message = markedParent(view);
      // Urgent, like the reply: the engine waits for this update before the request's next step, so it must not
      // queue behind other requests' "started" messages (updates are not new messages; no spacing either).
      await queue.run(
        parent.channel,
        () =>
          client.chat.update({
            channel: parent.channel,
            ts: parent.ts,
            text: message.text,
            blocks: message.blocks as never,
          }),
        { urgent: true },
      );
    },

    async complete(view: BackupRequestView, parent: MessageRef | undefined): Promise<MessageRef> {
      const reply = backupCompletionReply(view);
      const blocks = [
        {
          type: 'context',
          block_id: completionMarker(view.id),
          elements: [{ type: 'mrkdwn', text: `Request \`${view.id}\`` }],
        },
        ...reply.blocks,
      ];
      if (parent) {
        const existing = await findExistingReply(parent, view.id);
        if (existing) return { channel: parent.channel, ts: existing };
      }
      const channel = parent?.channel ?? view.channelId;
      // Urgent: a finished backup's result goes before other requests' "started" messages still waiting.
      const posted = await post(channel, { text: reply.text, blocks }, parent?.ts, { urgent: true });
      if (reply.fullTable) {
        try {
          await client.filesUploadV2({
            channel_id: posted.channel,
            thread_ts: parent?.ts ?? posted.ts,
            filename: reply.fullTable.filename,
            content: reply.fullTable.content,
            title: 'Every instance, one row each',
          });
        } catch (error) {
          logger.warn({ requestId: view.id, err: error }, 'could not attach the full per-instance table');
        }
      }
      return posted;
    },
  };
}
