import {
  ApiFailure,
  channelObject,
  flag,
  type MethodHandler,
  paginate,
  requiredString,
  requireReadableChannel,
} from './api-common.js';

const authTest: MethodHandler = (ctx) => {
  const { team, bot } = ctx.state.directory;
  return {
    ok: true,
    url: `https://${team.domain}.slack.com/`,
    team: team.name,
    user: bot.name,
    team_id: team.id,
    user_id: bot.userId,
    bot_id: bot.botId,
    app_id: bot.appId,
    is_enterprise_install: false,
  };
};

const conversationsInfo: MethodHandler = (ctx, args) => {
  const id = requiredString(args, 'channel', 'channel_not_found');
  const channel = ctx.state.directory.channel(id);
  // A private conversation the bot is not part of is invisible to it.
  if (!channel || (channel.isPrivate && !channel.botIsMember)) throw new ApiFailure('channel_not_found');
  return { ok: true, channel: channelObject(ctx.state, id) };
};

/**
 * conversations.open with one person in `users`: their DM with the bot, `{ ok, channel: { id: 'D…' } }` (scope
 * im:write). No `users` → `users_list_not_supplied`; an unknown or deactivated person → `user_not_found` /
 * `user_disabled`. Group DMs (several people) are not modelled here and are refused as such.
 */
const conversationsOpen: MethodHandler = (ctx, args) => {
  const users = requiredString(args, 'users', 'users_list_not_supplied')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (users.length === 0) throw new ApiFailure('users_list_not_supplied');
  if (users.length > 1) throw new ApiFailure('stand_in_models_no_group_dms');
  const user = ctx.state.directory.user(users[0]!);
  if (!user) throw new ApiFailure('user_not_found');
  if (user.deleted) throw new ApiFailure('user_disabled');
  return { ok: true, channel: { id: ctx.state.directory.dmWith(user.id).id } };
};

const conversationsMembers: MethodHandler = (ctx, args) => {
  const channel = requireReadableChannel(ctx.state, requiredString(args, 'channel', 'channel_not_found'));
  const members = [...channel.members];
  if (channel.botIsMember) members.push(ctx.state.directory.bot.userId);
  const { page, nextCursor } = paginate(members, args, 100);
  return { ok: true, members: page, response_metadata: { next_cursor: nextCursor } };
};

/** A person as users.info and users.list return them. */
function userObject(ctx: Parameters<MethodHandler>[0], id: string): Record<string, unknown> {
  const user = ctx.state.directory.user(id);
  if (!user) throw new ApiFailure('user_not_found');
  const { team, bot } = ctx.state.directory;
  return {
    id: user.id,
    team_id: team.id,
    name: user.name,
    deleted: user.deleted,
    real_name: user.realName,
    tz: user.tz,
    is_admin: user.isAdmin,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: user.isBot,
    is_app_user: false,
    profile: {
      real_name: user.realName,
      display_name: user.name,
      real_name_normalized: user.realName,
      display_name_normalized: user.name,
      team: team.id,
      ...(id === bot.userId ? { bot_id: bot.botId } : {}),
    },
  };
}

const usersInfo: MethodHandler = (ctx, args) => {
  const id = requiredString(args, 'user', 'user_not_found');
  return { ok: true, user: userObject(ctx, id) };
};

/**
 * users.list (scope users:read): everyone in the workspace, deactivated people included, paged by cursor as Slack
 * does (`limit` default 100 here; Slack recommends at most 200).
 */
const usersList: MethodHandler = (ctx, args) => {
  const ids = ctx.state.directory.allUsers().map((user) => user.id);
  const { page, nextCursor } = paginate(ids, args, 100);
  return {
    ok: true,
    members: page.map((id) => userObject(ctx, id)),
    cache_ts: Math.floor(Date.now() / 1000),
    response_metadata: { next_cursor: nextCursor },
  };
};

/** usergroups.users.list: the member ids of a user group (`usergroup` is the `S…` id); unknown → `no_such_subteam`. */
const usergroupsUsersList: MethodHandler = (ctx, args) => {
  const id = requiredString(args, 'usergroup', 'no_such_subteam');
  const group = ctx.state.directory.userGroup(id);
  if (!group || group.id !== id) throw new ApiFailure('no_such_subteam');
  if (group.disabled && !flag(args, 'include_disabled')) throw new ApiFailure('no_such_subteam');
  return { ok: true, users: [...group.members] };
};

/** usergroups.list: the workspace's user groups (`id`, `handle`, `name`), members only with `include_users`. */
const usergroupsList: MethodHandler = (ctx, args) => {
  const withUsers = flag(args, 'include_users');
  const withDisabled = flag(args, 'include_disabled');
  const usergroups = ctx.state.directory
    .allUserGroups()
    .filter((group) => withDisabled || !group.disabled)
    .map((group) => ({
      id: group.id,
      team_id: ctx.state.directory.team.id,
      handle: group.handle,
      name: group.name,
      ...(withUsers ? { users: [...group.members], user_count: group.members.length } : {}),
    }));
  return { ok: true, usergroups };
};

export const directoryMethods: Record<string, MethodHandler> = {
  'auth.test': authTest,
  'conversations.info': conversationsInfo,
  'conversations.members': conversationsMembers,
  'conversations.open': conversationsOpen,
  'users.info': usersInfo,
  'users.list': usersList,
  'usergroups.users.list': usergroupsUsersList,
  'usergroups.list': usergroupsList,
};
