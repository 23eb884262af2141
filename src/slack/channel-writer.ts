/**
 * How the bot writes its own messages to Slack, for backups and restores alike: through one per-channel queue (so
 * both kinds share each channel's spacing), thread writes before new threads, and a DM to the person when the
 * channel cannot take the bot's messages.
 */
import type { WebClient } from '@slack/web-api';
import { notInChannelMessage } from '../blocks/messages.js';
import type { Logger } from '../logger.js';
import type { MessageRef } from '../services/pipeline/ports.js';
import { createChannelQueue } from './channel-queue.js';
import { findMarkedMessage } from './thread.js';

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

export interface SlackMessage {
  text: string;
  blocks?: unknown[];
}

/** A request as the writer needs it for its parent message: where it was asked, by whom, and when. */
export interface ParentOf {
  id: string;
  channelId: string;
  userId: string;
  createdAtMs: number;
}

/** Backups and restores alike. */
export function parentOf(view: {
  id: string;
  channelId: string;
  actor: { userId: string };
  createdAt: Date;
}): ParentOf {
  return { id: view.id, channelId: view.channelId, userId: view.actor.userId, createdAtMs: view.createdAt.getTime() };
}

export interface ChannelWriter {
  /** A new message, or a reply when `threadTs` is given. `urgent`: before new threads still waiting in the channel. */
  post(channel: string, message: SlackMessage, threadTs?: string, options?: { urgent?: boolean }): Promise<MessageRef>;
  /** Replaces a message in place; goes before new threads still waiting (the runner waits for it). */
  update(ref: MessageRef, message: SlackMessage): Promise<void>;
  /**
   * Posts a request's parent message in its channel, or, when the bot cannot write there, a hint and the message in
   * a DM to the person who asked.
   */
  announce(request: ParentOf, message: SlackMessage): Promise<MessageRef>;
  /**
   * The parent an interrupted `announce` may have posted: a top-level message carrying `marker` as a block_id, in the
   * channel or, where the channel could not take it, in the person's DM; posted no earlier than a minute before the
   * request was made. Undefined when there is none, or when Slack cannot be read (the caller then posts).
   */
  findAnnounced(request: ParentOf, marker: string): Promise<MessageRef | undefined>;
}

export function createChannelWriter(deps: {
  client: WebClient;
  logger: Logger;
  /** Least time between two new messages in one conversation (Slack allows about one a second). */
  postIntervalMs?: number;
  /** Resolves when no Slack request waits for its answer (see ack-priority.ts). */
  afterAcks?: () => Promise<void>;
}): ChannelWriter {
  const { client, logger } = deps;
  const queue = createChannelQueue({
    intervalMs: deps.postIntervalMs ?? 1_000,
    ...(deps.afterAcks ? { beforeTask: deps.afterAcks } : {}),
  });

  async function post(channel: string, message: SlackMessage, threadTs?: string, options: { urgent?: boolean } = {}) {
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

  /** A top-level message of `channel` since `oldest` carrying this block_id. */
  async function findTopLevelWithMarker(channel: string, marker: string, oldest: string) {
    try {
      const ts = await findMarkedMessage(
        (cursor) => client.conversations.history({ channel, oldest, limit: 200, cursor }),
        marker,
      );
      if (ts) return { channel, ts };
    } catch (error) {
      logger.debug({ channel, marker, err: error }, 'could not read history to find the parent');
    }
    return undefined;
  }

  /** The id of the bot's DM with this person (scope im:write), or undefined when Slack will not say. */
  async function personalChannel(userId: string): Promise<string | undefined> {
    try {
      return (await client.conversations.open({ users: userId })).channel?.id;
    } catch (error) {
      logger.debug({ userId, err: error }, 'could not open the DM to look for the parent');
      return undefined;
    }
  }

  return {
    post,
    async update(ref, message) {
      await queue.run(
        ref.channel,
        () =>
          client.chat.update({
            channel: ref.channel,
            ts: ref.ts,
            text: message.text,
            ...(message.blocks ? { blocks: message.blocks as never } : {}),
          }),
        { urgent: true },
      );
    },
    async announce(request, message) {
      try {
        return await post(request.channelId, message);
      } catch (error) {
        const code = slackErrorCode(error);
        if (!code || !CHANNEL_UNUSABLE.has(code)) throw error;
        logger.info({ requestId: request.id, code }, 'channel unusable; reporting to the person directly');
        // A DM to the person (channel = their user id) always works for a bot with chat:write.
        await post(request.userId, notInChannelMessage(request.channelId));
        return await post(request.userId, message);
      }
    },
    async findAnnounced(request, marker) {
      // A minute of slack for clocks: Slack's ts and the bot's clock are different clocks.
      const oldest = String(Math.floor(request.createdAtMs / 1000) - 60);
      const inChannel = await findTopLevelWithMarker(request.channelId, marker, oldest);
      if (inChannel) return inChannel;
      const dm = await personalChannel(request.userId);
      return dm ? findTopLevelWithMarker(dm, marker, oldest) : undefined;
    },
  };
}
