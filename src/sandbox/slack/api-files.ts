import { postBotMessage } from './api-chat.js';
import { ApiFailure, type MethodHandler, optionalString, requiredString } from './api-common.js';
import { isObject } from './block-kit.js';

/**
 * The external upload flow that web-api's `filesUploadV2` drives: files.getUploadURLExternal → POST the bytes to the
 * returned URL → files.completeUploadExternal, which shares the file into a channel or thread.
 */
const getUploadUrl: MethodHandler = (ctx, args) => {
  const filename = requiredString(args, 'filename');
  const length = Number(requiredString(args, 'length'));
  if (!Number.isInteger(length) || length < 0) {
    throw new ApiFailure('invalid_arguments', ['[ERROR] length must be a non-negative integer']);
  }
  const id = ctx.state.ids.next('F');
  ctx.state.files.set(id, { id, name: filename, title: filename, length });
  return { ok: true, upload_url: `${ctx.origin}/upload/v1/${id}`, file_id: id };
};

const completeUpload: MethodHandler = (ctx, args) => {
  const files = args.files;
  if (!Array.isArray(files) || files.length === 0) {
    throw new ApiFailure('invalid_arguments', ['[ERROR] missing required field: files']);
  }
  const records = files.map((f) => {
    const id = isObject(f) && typeof f.id === 'string' ? f.id : undefined;
    const record = id ? ctx.state.files.get(id) : undefined;
    // A file whose bytes never arrived cannot be completed.
    if (!record?.uploaded) throw new ApiFailure('file_not_found');
    if (isObject(f) && typeof f.title === 'string') record.title = f.title;
    return record;
  });
  const channelId = optionalString(args, 'channel_id');
  if (channelId !== undefined) {
    const channel = ctx.state.directory.channel(channelId);
    if (!channel) throw new ApiFailure('channel_not_found');
    if (!channel.botIsMember) throw new ApiFailure('not_in_channel');
    const threadTs = optionalString(args, 'thread_ts');
    const parent = threadTs ? ctx.state.findMessage(channel.id, threadTs) : undefined;
    if (threadTs && !parent) throw new ApiFailure('thread_not_found');
    const message = postBotMessage(
      ctx,
      channel.id,
      { text: optionalString(args, 'initial_comment') ?? '' },
      { ...(parent ? { parent } : {}), files: records.map((r) => ({ id: r.id, name: r.name, title: r.title })) },
    );
    for (const record of records) record.shared = { channel: channel.id, ts: message.ts };
  }
  ctx.state.changed();
  return {
    ok: true,
    files: records.map((r) => ({ id: r.id, name: r.name, title: r.title, size: r.uploaded?.bytes ?? r.length })),
  };
};

export const fileMethods: Record<string, MethodHandler> = {
  'files.getUploadURLExternal': getUploadUrl,
  'files.completeUploadExternal': completeUpload,
};
