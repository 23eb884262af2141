/**
 * Who may do what. Every entry point asks here before anything reaches the cloud. Two implementations: the plain
 * admin list (CLOUDPHONE_ADMINS only) and the policy file (CLOUDPHONE_POLICY, see docs/policy.md), where
 * CLOUDPHONE_ADMINS still adds admins. Both deny by default and never throw for a denial.
 */
import type { Actor } from '../backup/model.js';
import { evaluatePolicy, groupRefsIn, isInstanceGroupRef, type Policy, type PolicyScope, scopeFor } from './policy.js';
import type { UserGroupDirectory } from './user-groups.js';

export type Action = 'backup' | 'restore' | 'delete' | 'status' | 'list' | 'audit';

export interface AccessRequest {
  actor: Actor;
  action: Action;
  channelId: string;
  instanceIds?: readonly string[];
  backupPath?: string;
  uploadEndpoint?: string;
  /** Instance id → instance group id (`ag-…`) from the cloud, for policy rules that name instance groups. */
  instanceGroups?: Readonly<Record<string, string>>;
  /** Instance id → the region that listed it, for policy roles that name `regions:`. */
  instanceRegions?: Readonly<Record<string, string>>;
  /**
   * Backup files acted on, each by where it came from and where it is stored: every one must be covered, instance
   * AND path, by one applicable role. A file whose instance or path is unknown is refused (admins excepted).
   */
  targets?: readonly AccessTarget[];
}

export interface AccessTarget {
  /** How the file is named in a denial, e.g. its backup file id. */
  label: string;
  instanceId?: string | undefined;
  path?: string | undefined;
}

/** Every instance id a request names, directly or through its targets. */
export function instanceIdsOf(request: Pick<AccessRequest, 'instanceIds' | 'targets'>): string[] {
  const ids = [...(request.instanceIds ?? [])];
  for (const target of request.targets ?? []) if (target.instanceId) ids.push(target.instanceId);
  return [...new Set(ids)];
}

/**
 * A denial. `reason` is Slack mrkdwn (channels as `<#C…>` links, echoed input escaped). `admins` can grant access;
 * `members` already may do this (role members: user ids, `S…` group ids or `@group` handles), so a person knows whom
 * to ask.
 */
export interface AccessDenial {
  allowed: false;
  rule: string;
  reason: string;
  admins?: readonly string[] | undefined;
  members?: readonly string[] | undefined;
  /**
   * Readable names for ids the denial mentions (people, user groups, channels), where the bot already knows them:
   * a form error is plain text, where a mention shows as a raw id.
   */
  names?: Readonly<Record<string, string>> | undefined;
  /** User group ids of `@handle` members, where the bot has resolved them already, so a message can mention the group. */
  groupIds?: Readonly<Record<string, string>> | undefined;
}

export type AccessDecision = { allowed: true; rule: string } | AccessDenial;

/** What an action is, in a sentence: "only the bot's admins may {phrase}". */
const ACTION_PHRASE: Record<Action, string> = {
  backup: 'start backups',
  restore: 'restore backups',
  delete: 'delete backups',
  status: 'see request status',
  list: 'list backups',
  audit: 'read the audit trail',
};

/** At most this many people named in a denial. */
const MAX_NAMED = 10;

export interface PermissionService {
  check(request: AccessRequest): Promise<AccessDecision>;
  /**
   * What the person may use for `action` (from `channelId`, when given): defaults and instance patterns for the
   * modal. Group lookups that fail count as "not a member", as in `check`.
   */
  scope(actor: Actor, action: Action, channelId?: string): Promise<PolicyScope>;
  /**
   * Which of these items the person may see for `action` here: each one's instance (and, when `withPath`, its
   * storage path) covered by one applicable role. Admins see all. No audit entry: nothing is acted on.
   */
  visible(actor: Actor, action: Action, channelId: string, items: readonly VisibleItem[]): Promise<boolean[]>;
}

export interface VisibleItem {
  instanceId?: string | undefined;
  /** Checked when given as a key, even undefined: an item whose path is unknown is then hidden. */
  path?: string | undefined;
}

export function createAdminListPermissions(admins: readonly string[]): PermissionService {
  const adminSet = new Set(admins);
  return {
    // Admins may use anything; everyone else nothing. No defaults: the configured ones apply.
    async scope(actor) {
      return {
        instancePatterns: [],
        unrestricted: adminSet.has(actor.userId),
        locations: [],
        endpoints: [],
        roles: [],
      };
    },
    async visible(actor, _action, _channelId, items) {
      return items.map(() => adminSet.has(actor.userId));
    },
    async check(request) {
      if (adminSet.has(request.actor.userId)) return { allowed: true, rule: 'admins' };
      const phrase = ACTION_PHRASE[request.action];
      return {
        allowed: false,
        rule: 'admins',
        reason:
          adminSet.size === 0
            ? `nobody may ${phrase} yet: this bot has no admins`
            : `only the bot's admins may ${phrase}`,
        admins: [...adminSet].slice(0, MAX_NAMED),
      };
    },
  };
}

/**
 * Permissions from the policy file. `extraAdmins` (CLOUDPHONE_ADMINS) are added to the file's admins. User group
 * membership is looked up only for the groups named by roles that grant the requested action, and only for people
 * who are not admins; a failed lookup denies (and the reason says to try again).
 */
export function createPolicyPermissions(options: {
  policy: Policy;
  extraAdmins?: readonly string[];
  userGroups?: Pick<UserGroupDirectory, 'membership'> & Partial<Pick<UserGroupDirectory, 'knownGroupId'>>;
  /**
   * Instance id → instance group id (`ag-…`) from the cloud, for roles that name instance groups. Asked only when
   * globs alone deny and a role that applies to the person names a group; a failure (or none given) denies.
   */
  instanceGroups?: (instanceIds: readonly string[]) => Promise<Readonly<Record<string, string>>>;
  /**
   * Instance id → the region that listed it, for roles that name `regions:`. Asked, like `instanceGroups`, only when
   * the decision without it denies and a role that applies names regions; a failure (or none given) denies.
   */
  instanceRegions?: (instanceIds: readonly string[]) => Promise<Readonly<Record<string, string>>>;
}): PermissionService {
  const policy: Policy = {
    ...options.policy,
    admins: [...new Set([...options.policy.admins, ...(options.extraAdmins ?? [])])],
  };
  const admins = new Set(policy.admins);

  async function membership(userId: string, action: Action): Promise<{ groups: Set<string>; failed: string[] }> {
    const refs = groupRefsIn(policy, action);
    if (refs.length === 0) return { groups: new Set(), failed: [] };
    if (!options.userGroups) return { groups: new Set(), failed: refs };
    try {
      return await options.userGroups.membership(userId, refs);
    } catch {
      return { groups: new Set(), failed: refs };
    }
  }

  /** Who already may do `action` (role members), for a denial to name; never the person asking. */
  function membersFor(action: Action, asking: string): string[] {
    const members = policy.roles
      .filter((role) => (role.actions as readonly string[]).includes(action))
      .flatMap((role) => role.members)
      .filter((member) => member !== asking && !admins.has(member));
    return [...new Set(members)].slice(0, MAX_NAMED);
  }

  /** The ids of the `@handle` members that the membership check has resolved already; Slack is not asked for a denial. */
  function groupIdsOf(members: readonly string[]): Record<string, string> | undefined {
    const out: Record<string, string> = {};
    for (const member of members) {
      const id = member.startsWith('@') ? options.userGroups?.knownGroupId?.(member) : undefined;
      if (id) out[member] = id;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }

  /**
   * Which of the cloud's facts about the instances could change a denial: the instance groups when a role that applies
   * to this person here names one, the regions when one names `regions:`. Facts the request already carries are not
   * asked again.
   */
  function placementsNeeded(
    request: AccessRequest,
    groups: ReadonlySet<string>,
  ): { groups: boolean; regions: boolean } {
    if (instanceIdsOf(request).length === 0) return { groups: false, regions: false };
    const ctx = { groupsOf: () => groups, channelId: request.channelId };
    const scope = scopeFor(policy, request.actor, request.action, ctx);
    return {
      groups: !!options.instanceGroups && !request.instanceGroups && scope.instancePatterns.some(isInstanceGroupRef),
      regions: !!options.instanceRegions && !request.instanceRegions && scope.regionLimited === true,
    };
  }

  /** The request with the facts `needed` from the cloud; throws when a lookup does (the caller fails closed). */
  async function withPlacements(
    request: AccessRequest,
    needed: { groups: boolean; regions: boolean },
  ): Promise<AccessRequest> {
    const ids = instanceIdsOf(request);
    const [instanceGroups, instanceRegions] = await Promise.all([
      needed.groups ? options.instanceGroups!(ids) : request.instanceGroups,
      needed.regions ? options.instanceRegions!(ids) : request.instanceRegions,
    ]);
    return {
      ...request,
      ...(instanceGroups ? { instanceGroups } : {}),
      ...(instanceRegions ? { instanceRegions } : {}),
    };
  }

  return {
    async check(request) {
      if (admins.has(request.actor.userId)) return { allowed: true, rule: 'admins' };
      const { groups, failed } = await membership(request.actor.userId, request.action);
      const ctx = { groupsOf: () => groups };
      let decision = evaluatePolicy(policy, request, ctx);
      let placementsUnknown: string | undefined;
      const needed = decision.allowed ? undefined : placementsNeeded(request, groups);
      if (needed && (needed.groups || needed.regions)) {
        try {
          decision = evaluatePolicy(policy, await withPlacements(request, needed), ctx);
        } catch {
          placementsUnknown = [needed.groups ? 'groups' : '', needed.regions ? 'regions' : '']
            .filter(Boolean)
            .join(' and ');
        }
      }
      if (decision.allowed) return { allowed: true, rule: decision.rule };
      const notes = [
        failed.length > 0 ? `membership of ${failed.join(', ')} could not be checked just now` : '',
        placementsUnknown ? `the instances’ ${placementsUnknown} could not be looked up in the cloud just now` : '',
      ].filter(Boolean);
      const note = notes.length > 0 ? ` (${notes.join('; ')}; try again in a minute)` : '';
      const members = membersFor(request.action, request.actor.userId);
      return {
        allowed: false,
        rule: decision.rule,
        reason: `${decision.reason}${note}`,
        admins: policy.admins.slice(0, MAX_NAMED),
        members,
        groupIds: groupIdsOf(members),
      };
    },
    async visible(actor, action, channelId, items) {
      if (admins.has(actor.userId)) return items.map(() => true);
      const { groups } = await membership(actor.userId, action);
      const ctx = { groupsOf: () => groups };
      const ids = [...new Set(items.flatMap((item) => (item.instanceId ? [item.instanceId] : [])))];
      const probe: AccessRequest = { actor, action, channelId, instanceIds: ids };
      // Unknown groups or regions hide what only a rule depending on them would show (fail closed).
      const { instanceGroups = {}, instanceRegions = {} } = await withPlacements(
        probe,
        placementsNeeded(probe, groups),
      ).catch(() => probe);
      return items.map((item) => {
        if (!item.instanceId) return false;
        if ('path' in item && !item.path) return false;
        const request: AccessRequest = {
          actor,
          action,
          channelId,
          instanceIds: [item.instanceId],
          ...(item.path ? { backupPath: item.path } : {}),
          instanceGroups,
          instanceRegions,
        };
        return evaluatePolicy(policy, request, ctx).allowed;
      });
    },
    async scope(actor, action, channelId) {
      const { groups } = admins.has(actor.userId)
        ? { groups: new Set<string>() }
        : await membership(actor.userId, action);
      return scopeFor(policy, actor, action, { groupsOf: () => groups, channelId });
    },
  };
}
