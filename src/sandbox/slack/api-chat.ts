import {
  type ApiArgs,
  ApiFailure,
  type MethodContext,
  type MethodHandler,
  optionalString,
  paginate,
  requiredString,
  requireReadableChannel,
} from './api-common.js';
import { checkMessageBlocks, LIMITS } from './block-kit.js';
import { permalinkPath, TS_PATTERN } from './ids.js';
import { assignMissingIds, compareTs, type StoredMessage } from './state.js';
import type { Channel } from './workspace.js';

export interface MessageContent {
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
}

/**
 * The content checks Slack applies to every message surface (post, update, ephemeral, response_url), in the order a
 * caller would hit them: nothing to show → `no_text`; oversize text → `msg_too_long`; bad blocks → `invalid_blocks*`,
 * then the aggregate `msg_blocks_too_long`; attachments over 100 → `too_many_attachments`.
 */
export function checkMessageContent(
  args: { text?: unknown; blocks?: unknown; attachments?: unknown },
  blockTextLimit: number,
  opts: { partial?: boolean } = {},
): Partial<MessageContent> {
  const text = args.text === undefined || args.text === null ? undefined : String(args.text);
  const hasBlocks = args.blocks !== undefined && args.blocks !== null && args.blocks !== '';
  const hasAttachments = args.attachments !== undefined && args.attachments !== null && args.attachments !== '';
  const blocksEmpty = Array.isArray(args.blocks) && args.blocks.length === 0;
  if (!opts.partial && !text && (!hasBlocks || blocksEmpty) && !hasAttachments) throw new ApiFailure('no_text');
  if (text !== undefined && text.length > LIMITS.messageText) throw new ApiFailure('msg_too_long');
  const content: Partial<MessageContent> = {};
  if (text !== undefined) content.text = text;
  if (hasBlocks) {
    const rejection = checkMessageBlocks(args.blocks, { blockText: blockTextLimit });
    if (rejection) throw new ApiFailure(rejection.error, rejection.messages);
    content.blocks = args.blocks as unknown[];
  }
  if (hasAttachments) {
    if (!Array.isArray(args.attachments)) throw new ApiFailure('invalid_attachments');
    if (args.attachments.length > LIMITS.attachments) throw new ApiFailure('too_many_attachments');
    content.attachments = args.attachments;
  }
  return content;
}

/** A conversation the bot can post into, or the error Slack gives for it. */
function requirePostableChannel(ctx: MethodContext, ref: string | undefined): Channel {
  if (ref === undefined) throw new ApiFailure('channel_not_found');
  const channel = ctx.state.directory.resolveChannel(ref);
  if (!channel) throw new ApiFailure('channel_not_found');
  if (channel.isArchived) throw new ApiFailure('is_archived');
  if (!channel.botIsMember) throw new ApiFailure(channel.isPrivate ? 'channel_not_found' : 'not_in_channel');
  return channel;
}

/**
 * Where a reply goes. Malformed `thread_ts` → `invalid_thread_ts` (Slack: "[ERROR] 0 is not a valid thread_ts").
 * A well-formed ts with no message behind it → `thread_not_found`: Slack has been seen to accept such a post and
 * leave the reply invisible (python-slack-sdk#840), and to answer `thread_not_found` (bolt-js#2307); refusing is the
 * stricter choice and surfaces the bug instead of hiding the message. A reply's ts is treated as its parent's thread,
 * which Slack advises against but does not refuse.
 */
function resolveThread(ctx: MethodContext, channel: Channel, threadTs: string | undefined): StoredMessage | undefined {
  if (threadTs === undefined) return undefined;
  if (!TS_PATTERN.test(threadTs)) {
    throw new ApiFailure('invalid_thread_ts', [`[ERROR] ${threadTs} is not a valid thread_ts`]);
  }
  const target = ctx.state.findMessage(channel.id, threadTs);
  if (!target) throw new ApiFailure('thread_not_found');
  if (target.thread_ts && target.thread_ts !== target.ts) {
    const parent = ctx.state.findMessage(channel.id, target.thread_ts);
    if (!parent) throw new ApiFailure('thread_not_found');
    return parent;
  }
  return target;
}

function parseMetadata(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') throw new ApiFailure('invalid_metadata_format');
  return value;
}

const postMessage: MethodHandler = (ctx, args) => {
  const channel = requirePostableChannel(ctx, optionalString(args, 'channel'));
  const content = checkMessageContent(args, ctx.blockTextLimit);
  const parent = resolveThread(ctx, channel, optionalString(args, 'thread_ts'));
  const metadata = parseMetadata(args.metadata);
  const message = postBotMessage(ctx, channel.id, content, {
    parent,
    broadcast: parent !== undefined && (args.reply_broadcast === true || args.reply_broadcast === 'true'),
    metadata,
  });
  return { ok: true, channel: channel.id, ts: message.ts, message: ctx.state.present(message) };
};

/** Store a message authored by the bot; shared with response_url and file shares. */
export function postBotMessage(
  ctx: Pick<MethodContext, 'state'>,
  channelId: string,
  content: Partial<MessageContent>,
  opts: { parent?: StoredMessage; broadcast?: boolean; metadata?: unknown; files?: StoredMessage['files'] } = {},
): StoredMessage {
  const { state } = ctx;
  const ts = state.ts.next();
  const { bot, team } = state.directory;
  const message: StoredMessage = {
    type: 'message',
    channel: channelId,
    ts,
    text: content.text ?? '',
    user: bot.userId,
    bot_id: bot.botId,
    app_id: bot.appId,
    team: team.id,
  };
  if (content.blocks) message.blocks = assignMissingIds(content.blocks, `${channelId}:${ts}`);
  if (content.attachments) message.attachments = content.attachments;
  if (opts.metadata !== undefined) message.metadata = opts.metadata;
  if (opts.files) message.files = opts.files;
  if (opts.parent) {
    // A parent carries thread_ts = its own ts once it has replies.
    opts.parent.thread_ts = opts.parent.ts;
    message.thread_ts = opts.parent.ts;
    if (opts.broadcast) message.subtype = 'thread_broadcast';
  }
  return state.addMessage(message);
}

const postEphemeral: MethodHandler = (ctx, args) => {
  const channel = requirePostableChannel(ctx, optionalString(args, 'channel'));
  const user = requiredString(args, 'user', 'user_not_found');
  const person = ctx.state.directory.user(user);
  if (!person || person.deleted) throw new ApiFailure('user_not_found');
  const inChannel = channel.isIm ? channel.user === user : channel.members.has(user);
  if (!inChannel) throw new ApiFailure('user_not_in_channel');
  const content = checkMessageContent(args, ctx.blockTextLimit);
  const ts = ctx.state.ts.next();
  const threadTs = optionalString(args, 'thread_ts');
  ctx.state.ephemerals.push({
    channel: channel.id,
    user,
    ts,
    text: content.text ?? '',
    ...(content.blocks ? { blocks: assignMissingIds(content.blocks, `${channel.id}:${ts}`) } : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
    source: 'chat.postEphemeral',
  });
  ctx.state.changed();
  return { ok: true, message_ts: ts };
};

/**
 * chat.update per its reference: a field left out keeps its previous value; an empty `blocks` array removes the
 * blocks. Only the bot's own messages can be edited (`cant_update_message`).
 */
const update: MethodHandler = (ctx, args) => {
  const channelId = requiredString(args, 'channel', 'channel_not_found');
  const channel = ctx.state.directory.channel(channelId);
  if (!channel) throw new ApiFailure('channel_not_found');
  const ts = requiredString(args, 'ts', 'message_not_found');
  const message = ctx.state.findMessage(channel.id, ts);
  if (!message) throw new ApiFailure('message_not_found');
  if (message.bot_id !== ctx.state.directory.bot.botId) throw new ApiFailure('cant_update_message');
  const content = checkMessageContent(args, ctx.blockTextLimit, { partial: true });
  const nextText = content.text ?? message.text;
  const nextBlocks = content.blocks ?? message.blocks ?? [];
  if (!nextText && nextBlocks.length === 0 && !(content.attachments ?? message.attachments)?.length) {
    throw new ApiFailure('no_text');
  }
  if (content.text !== undefined) message.text = content.text;
  if (content.blocks !== undefined) {
    if (content.blocks.length === 0) delete message.blocks;
    else message.blocks = assignMissingIds(content.blocks, `${channel.id}:${ts}:${ctx.state.now()}`);
  }
  if (content.attachments !== undefined) message.attachments = content.attachments;
  const metadata = parseMetadata(args.metadata);
  if (metadata !== undefined) message.metadata = metadata;
  message.edited = { user: ctx.state.directory.bot.userId, ts: ctx.state.ts.next() };
  ctx.state.changed();
  return { ok: true, channel: channel.id, ts, text: message.text, message: ctx.state.present(message) };
};

const getPermalink: MethodHandler = (ctx, args) => {
  const channelId = requiredString(args, 'channel', 'channel_not_found');
  if (!ctx.state.directory.channel(channelId)) throw new ApiFailure('channel_not_found');
  const ts = requiredString(args, 'message_ts', 'message_not_found');
  const message = ctx.state.findMessage(channelId, ts);
  if (!message) throw new ApiFailure('message_not_found');
  let permalink = `https://${ctx.state.directory.team.domain}.slack.com${permalinkPath(channelId, ts)}`;
  if (message.thread_ts && message.thread_ts !== ts) permalink += `?thread_ts=${message.thread_ts}&cid=${channelId}`;
  return { ok: true, channel: channelId, permalink };
};

/** conversations.replies: the thread (parent first), so a bot can check what it already posted before re-posting. */
const replies: MethodHandler = (ctx, args) => {
  const channel = requireReadableChannel(ctx.state, requiredString(args, 'channel', 'channel_not_found'));
  const ts = requiredString(args, 'ts', 'thread_not_found');
  const message = ctx.state.findMessage(channel.id, ts);
  if (!message) throw new ApiFailure('thread_not_found');
  const parentTs = message.thread_ts ?? message.ts;
  const parent = ctx.state.findMessage(channel.id, parentTs) ?? message;
  let thread = [parent, ...ctx.state.replies(channel.id, parentTs)];
  thread = filterByRange(thread, args);
  const { page, nextCursor } = paginate(thread, args, 1000);
  return {
    ok: true,
    messages: page.map((m) => ctx.state.present(m)),
    has_more: nextCursor !== '',
    response_metadata: { next_cursor: nextCursor },
  };
};

/**
 * conversations.history: the channel's top-level messages (and thread broadcasts), newest first, as Slack returns
 * them; replies stay in their threads.
 */
const history: MethodHandler = (ctx, args) => {
  const channel = requireReadableChannel(ctx.state, requiredString(args, 'channel', 'channel_not_found'));
  let messages = [...ctx.state.channelMessages(channel.id).values()]
    .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts)
    .sort((a, b) => compareTs(b.ts, a.ts));
  messages = filterByRange(messages, args);
  const { page, nextCursor } = paginate(messages, args, 100);
  return {
    ok: true,
    messages: page.map((m) => ctx.state.present(m)),
    has_more: nextCursor !== '',
    response_metadata: { next_cursor: nextCursor },
  };
};

function filterByRange(thread: StoredMessage[], args: ApiArgs): StoredMessage[] {
  const oldest = optionalString(args, 'oldest');
  const latest = optionalString(args, 'latest');
  const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
  return thread.filter((m) => {
    const t = Number(m.ts);
    if (oldest !== undefined && (inclusive ? t < Number(oldest) : t <= Number(oldest))) return false;
    if (latest !== undefined && (inclusive ? t > Number(latest) : t >= Number(latest))) return false;
    return true;
  });
}

export const chatMethods: Record<string, MethodHandler> = {
  'chat.postMessage': postMessage,
  'chat.postEphemeral': postEphemeral,
  'chat.update': update,
  'chat.getPermalink': getPermalink,
  'conversations.replies': replies,
  'conversations.history': history,
};
