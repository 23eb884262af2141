/**
 * The notifier port for backups on Slack's Web API. Rendering comes from src/blocks; this file only decides where a
 * message goes and how to recover when it cannot go there.
 */
import type { WebClient } from '@slack/web-api';
import { backupCompletionReply, backupParentMessage } from '../blocks/messages.js';
import type { Logger } from '../logger.js';
import type { BackupRequestView } from '../services/backup/model.js';
import type { MessageRef, RequestNotifier } from '../services/pipeline/ports.js';
import { type ChannelWriter, parentOf, type SlackMessage } from './channel-writer.js';
import { findReplyWithMarker } from './thread.js';

/** The block_id that marks a request's parent message, so an interrupted post is found instead of repeated. */
export function parentMarker(requestId: string): string {
  return `parent:${requestId}`;
}

/** A parent message with its request's marker on the first block (backups and restores alike). */
export function withParentMarker(requestId: string, message: { text: string; blocks?: unknown[] }): SlackMessage {
  const [first, ...rest] = (message.blocks ?? []) as { block_id?: string }[];
  return { text: message.text, blocks: first ? [{ ...first, block_id: parentMarker(requestId) }, ...rest] : [] };
}

function markedParent(view: BackupRequestView): SlackMessage {
  return withParentMarker(view.id, backupParentMessage(view));
}

/** The block_id that marks a completion reply, so a re-run after a crash finds it instead of posting again. */
export function completionMarker(requestId: string): string {
  return `completion:${requestId}`;
}

export function createSlackNotifier(deps: {
  client: WebClient;
  writer: ChannelWriter;
  logger: Logger;
}): RequestNotifier<BackupRequestView> {
  const { client, writer, logger } = deps;

  function findExistingReply(parent: MessageRef, requestId: string): Promise<string | undefined> {
    return findReplyWithMarker(client, parent, completionMarker(requestId));
  }

  return {
    announce(view: BackupRequestView): Promise<MessageRef> {
      return writer.announce(parentOf(view), markedParent(view));
    },

    findAnnounced(view: BackupRequestView): Promise<MessageRef | undefined> {
      return writer.findAnnounced(parentOf(view), parentMarker(view.id));
    },

    progress(view: BackupRequestView, parent: MessageRef): Promise<void> {
      return writer.update(parent, markedParent(view));
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
      const posted = await writer.post(channel, { text: reply.text, blocks }, parent?.ts, { urgent: true });
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
