import type { SlackState } from './state.js';

/** Decoded request arguments: form fields (JSON fields already parsed) or a JSON body. */
export type ApiArgs = Record<string, unknown>;
export type ApiBody = Record<string, unknown> & { ok: boolean };

export interface MethodContext {
  state: SlackState;
  /** `http://127.0.0.1:PORT`, for URLs the stand-in hands out (file upload URLs). */
  origin: string;
  triggerTtlMs: number;
  /** Threshold for the aggregate `msg_blocks_too_long` check. */
  blockTextLimit: number;
}

export type MethodHandler = (ctx: MethodContext, args: ApiArgs) => ApiBody;

/** Thrown by a handler to answer `{ok:false, error}` (HTTP 200), as Slack does for every platform error. */
export class ApiFailure extends Error {
  constructor(
    readonly error: string,
    readonly messages?: string[],
  ) {
    super(error);
  }

  toBody(): ApiBody {
    const body: ApiBody = { ok: false, error: this.error };
    if (this.messages && this.messages.length > 0) body.response_metadata = { messages: this.messages };
    return body;
  }
}

export function optionalString(args: ApiArgs, key: string): string | undefined {
  const value = args[key];
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : String(value);
}

/** A required argument; Slack answers a missing one with `invalid_arguments` naming the field. */
export function requiredString(args: ApiArgs, key: string, errorIfMissing?: string): string {
  const value = optionalString(args, key);
  if (value === undefined) {
    if (errorIfMissing) throw new ApiFailure(errorIfMissing);
    throw new ApiFailure('invalid_arguments', [`[ERROR] missing required field: ${key}`]);
  }
  return value;
}

/** Form posts carry booleans as strings; JSON posts as booleans. */
export function flag(args: ApiArgs, key: string): boolean {
  const value = args[key];
  return value === true || value === 'true' || value === '1' || value === 1;
}

export function positiveInt(args: ApiArgs, key: string, fallback: number): number {
  const value = Number(args[key]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Cursor pagination as Slack does it: an opaque `next_cursor`, empty on the last page. */
export function paginate<T>(items: T[], args: ApiArgs, defaultLimit: number): { page: T[]; nextCursor: string } {
  const limit = positiveInt(args, 'limit', defaultLimit);
  const cursor = optionalString(args, 'cursor');
  let offset = 0;
  if (cursor !== undefined) {
    const decoded = Number(
      Buffer.from(cursor, 'base64')
        .toString('utf8')
        .replace(/^offset:/, ''),
    );
    if (!Number.isInteger(decoded) || decoded < 0) throw new ApiFailure('invalid_cursor');
    offset = decoded;
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '';
  return { page, nextCursor: next };
}

/** The channel as conversations.info returns it. */
export function channelObject(state: SlackState, channelId: string): Record<string, unknown> {
  const channel = state.directory.channel(channelId);
  if (!channel) throw new ApiFailure('channel_not_found');
  const base = {
    id: channel.id,
    created: channel.created,
    is_archived: channel.isArchived,
    is_im: channel.isIm,
    is_mpim: false,
    is_org_shared: false,
    is_ext_shared: false,
    context_team_id: state.directory.team.id,
  };
  if (channel.isIm) return { ...base, user: channel.user, is_user_deleted: false, priority: 0 };
  return {
    ...base,
    name: channel.name,
    name_normalized: channel.name,
    is_channel: !channel.isPrivate,
    is_group: channel.isPrivate,
    is_private: channel.isPrivate,
    is_general: channel.name === 'general',
    is_shared: false,
    is_member: channel.botIsMember,
    creator: state.directory.allUsers()[0]?.id ?? '',
    num_members: channel.members.size + (channel.botIsMember ? 1 : 0),
    topic: { value: '', creator: '', last_set: 0 },
    purpose: { value: '', creator: '', last_set: 0 },
  };
}

/**
 * Read access to a conversation for the bot: a private channel it is not in does not exist as far as the bot can
 * tell (`channel_not_found`); a public one answers `not_in_channel`.
 */
export function requireReadableChannel(state: SlackState, channelId: string) {
  const channel = state.directory.channel(channelId);
  if (!channel) throw new ApiFailure('channel_not_found');
  if (!channel.botIsMember) throw new ApiFailure(channel.isPrivate ? 'channel_not_found' : 'not_in_channel');
  return channel;
}
