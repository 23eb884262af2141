/**
 * The workspace the stand-in pretends to be: team, bot identity, people, channels and user groups.
 * Seeded from options and mutable at runtime, because permission rules in the bot depend on membership changing.
 */

export interface TeamInfo {
  id: string;
  domain: string;
  name: string;
}

export interface BotIdentity {
  /** The bot user (`U…`): author of the bot's messages, member of channels. */
  userId: string;
  /** The bot id (`B…`) carried on bot messages as `bot_id`. */
  botId: string;
  appId: string;
  name: string;
}

export interface SeedUser {
  id: string;
  name: string;
  realName?: string;
  isBot?: boolean;
  deleted?: boolean;
  isAdmin?: boolean;
  tz?: string;
}

export interface SeedChannel {
  id: string;
  name: string;
  /** Human members; the bot's membership is `botIsMember`. */
  members?: string[];
  /** Default true. */
  botIsMember?: boolean;
  isPrivate?: boolean;
  isArchived?: boolean;
}

/** A direct message between the bot and one person (`D…`). */
export interface SeedDm {
  id: string;
  user: string;
}

export interface SeedUserGroup {
  id: string;
  handle: string;
  name?: string;
  members: string[];
  disabled?: boolean;
}

export interface WorkspaceSeed {
  team?: Partial<TeamInfo>;
  bot?: Partial<BotIdentity>;
  users?: SeedUser[];
  channels?: SeedChannel[];
  dms?: SeedDm[];
  userGroups?: SeedUserGroup[];
}

export interface Channel {
  id: string;
  name: string;
  members: Set<string>;
  botIsMember: boolean;
  isPrivate: boolean;
  isArchived: boolean;
  isIm: boolean;
  /** For a DM: the person on the other side. */
  user?: string;
  created: number;
}

export interface UserGroup {
  id: string;
  handle: string;
  name: string;
  members: string[];
  disabled: boolean;
}

export const DEFAULT_TEAM: TeamInfo = { id: 'T0SANDBOX', domain: 'sandbox', name: 'Sandbox' };
export const DEFAULT_BOT: BotIdentity = { userId: 'U0BOT', botId: 'B0BOT', appId: 'A0APP', name: 'cloudphone-bot' };

/** A small default workspace so `startSlackStandIn()` with no options is immediately usable by a demo. */
export const DEFAULT_SEED: Required<Pick<WorkspaceSeed, 'users' | 'channels' | 'dms' | 'userGroups'>> = {
  users: [
    { id: 'U0ALICE', name: 'alice', realName: 'Alice Admin', isAdmin: true },
    { id: 'U0BOB', name: 'bob', realName: 'Bob Builder' },
    { id: 'U0CAROL', name: 'carol', realName: 'Carol Contractor' },
  ],
  channels: [
    { id: 'C0GENERAL', name: 'general', members: ['U0ALICE', 'U0BOB', 'U0CAROL'] },
    { id: 'C0BACKUPS', name: 'backups', members: ['U0ALICE', 'U0BOB'] },
    { id: 'C0RANDOM', name: 'random', members: ['U0ALICE', 'U0BOB', 'U0CAROL'], botIsMember: false },
  ],
  dms: [{ id: 'D0ALICE', user: 'U0ALICE' }],
  userGroups: [{ id: 'S0OPS', handle: 'ops', name: 'Operations', members: ['U0ALICE'] }],
};

export class Directory {
  readonly team: TeamInfo;
  readonly bot: BotIdentity;
  private readonly users = new Map<string, Required<Omit<SeedUser, 'tz'>> & { tz: string }>();
  private readonly channels = new Map<string, Channel>();
  private readonly groups = new Map<string, UserGroup>();

  constructor(
    seed: WorkspaceSeed,
    private readonly now: () => number,
  ) {
    this.team = { ...DEFAULT_TEAM, ...seed.team };
    this.bot = { ...DEFAULT_BOT, ...seed.bot };
    for (const user of seed.users ?? DEFAULT_SEED.users) this.addUser(user);
    for (const channel of seed.channels ?? DEFAULT_SEED.channels) this.addChannel(channel);
    for (const dm of seed.dms ?? DEFAULT_SEED.dms) this.addDm(dm);
    for (const group of seed.userGroups ?? DEFAULT_SEED.userGroups) this.addUserGroup(group);
  }

  addUser(user: SeedUser): void {
    this.users.set(user.id, {
      id: user.id,
      name: user.name,
      realName: user.realName ?? user.name,
      isBot: user.isBot ?? false,
      deleted: user.deleted ?? false,
      isAdmin: user.isAdmin ?? false,
      tz: user.tz ?? 'Asia/Shanghai',
    });
  }

  addChannel(channel: SeedChannel): void {
    this.channels.set(channel.id, {
      id: channel.id,
      name: channel.name,
      members: new Set(channel.members ?? []),
      botIsMember: channel.botIsMember ?? true,
      isPrivate: channel.isPrivate ?? false,
      isArchived: channel.isArchived ?? false,
      isIm: false,
      created: Math.floor(this.now() / 1000),
    });
  }

  addDm(dm: SeedDm): void {
    this.channels.set(dm.id, {
      id: dm.id,
      name: dm.user,
      members: new Set([dm.user]),
      botIsMember: true,
      isPrivate: true,
      isArchived: false,
      isIm: true,
      user: dm.user,
      created: Math.floor(this.now() / 1000),
    });
  }

  addUserGroup(group: SeedUserGroup): void {
    this.groups.set(group.id, {
      id: group.id,
      handle: group.handle,
      name: group.name ?? group.handle,
      members: [...group.members],
      disabled: group.disabled ?? false,
    });
  }

  user(id: string) {
    if (id === this.bot.userId) {
      return {
        id,
        name: this.bot.name,
        realName: this.bot.name,
        isBot: true,
        deleted: false,
        isAdmin: false,
        tz: 'Asia/Shanghai',
      };
    }
    return this.users.get(id);
  }

  allUsers() {
    return [...this.users.values()];
  }

  channel(id: string): Channel | undefined {
    return this.channels.get(id);
  }

  /**
   * What chat.postMessage accepts as `channel`: an id, a name with or without `#`, or a user id, which Slack
   * resolves to the DM between the bot and that person (opening one if needed).
   */
  resolveChannel(ref: string): Channel | undefined {
    const direct = this.channels.get(ref);
    if (direct) return direct;
    const name = ref.startsWith('#') ? ref.slice(1) : ref;
    for (const channel of this.channels.values()) {
      if (!channel.isIm && channel.name === name) return channel;
    }
    const user = this.users.get(ref);
    if (user && !user.deleted) return this.dmWith(user.id);
    return undefined;
  }

  dmWith(userId: string): Channel {
    for (const channel of this.channels.values()) {
      if (channel.isIm && channel.user === userId) return channel;
    }
    const id = `D0${userId.replace(/^U0?/, '')}`;
    this.addDm({ id, user: userId });
    return this.channels.get(id)!;
  }

  allChannels(): Channel[] {
    return [...this.channels.values()];
  }

  userGroup(idOrHandle: string): UserGroup | undefined {
    const byId = this.groups.get(idOrHandle);
    if (byId) return byId;
    const handle = idOrHandle.replace(/^@/, '');
    return [...this.groups.values()].find((g) => g.handle === handle);
  }

  allUserGroups(): UserGroup[] {
    return [...this.groups.values()];
  }

  setUserGroupMembers(idOrHandle: string, members: string[]): void {
    const group = this.userGroup(idOrHandle);
    if (!group) throw new Error(`No user group ${idOrHandle}`);
    group.members = [...members];
  }

  setChannelMembers(channelId: string, members: string[]): void {
    this.requireChannel(channelId).members = new Set(members);
  }

  setBotMembership(channelId: string, isMember: boolean): void {
    this.requireChannel(channelId).botIsMember = isMember;
  }

  archiveChannel(channelId: string): void {
    this.requireChannel(channelId).isArchived = true;
  }

  private requireChannel(channelId: string): Channel {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`No channel ${channelId}`);
    return channel;
  }
}
