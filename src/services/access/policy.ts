/**
 * The access policy: a YAML file (CLOUDPHONE_POLICY) that says who may do what, where, to which instances and with
 * which backup locations. Parsed once at start-up; a bad file stops the bot with problems that name `file:line:col`
 * and the key. Evaluation is pure and denies by default: the caller resolves user group membership first.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { didYouMean } from '../../did-you-mean.js';
import { ConfigError } from '../../errors.js';
import type { AccessRequest, AccessTarget, Action } from './permissions.js';

/** The actions a role may grant. `audit` is not among them: only admins may read the audit trail. */
export const POLICY_ACTIONS = ['backup', 'restore', 'delete', 'status', 'list'] as const;
export const PolicyAction = z.enum(POLICY_ACTIONS, { error: `must be one of ${POLICY_ACTIONS.join(', ')}` });
export type PolicyAction = z.infer<typeof PolicyAction>;

/** Actions whose roles must list locations: each backs up to, restores from, deletes or lists files at a path. */
const LOCATION_ACTIONS: ReadonlySet<string> = new Set(['backup', 'restore', 'delete', 'list']);

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const GROUP_ID = /^S[A-Z0-9]{2,}$/;
const GROUP_HANDLE = /^@[a-z0-9][a-z0-9._-]*$/i;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const INSTANCE_GLOB = /^acp-[A-Za-z0-9*?-]+$/;
const INSTANCE_GROUP_ID = /^ag-[A-Za-z0-9]+$/;
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const REGION_ID = /^[a-z]{2,}-[a-z0-9-]+$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

const list = <T extends z.ZodType>(item: T, one: string, many = `${one}s`) =>
  z.array(item, { error: `must be a list of ${many}, e.g. [a, b]` }).min(1, { error: `must list at least one ${one}` });

const UserId = z.string({ error: 'must be a Slack user id such as U0123ABCD' }).regex(USER_ID, {
  error: 'must be a Slack user id such as U0123ABCD (admins are user ids; put user groups in a role)',
});

/** `U…`/`W…` user ids, `S…` user group ids, `@handle` user group handles (handles compared in lower case). */
const Member = z
  .string({ error: 'must be a Slack user id (U…/W…), a user group id (S…) or a user group handle (@name)' })
  .trim()
  .refine((value) => USER_ID.test(value) || GROUP_ID.test(value) || GROUP_HANDLE.test(value), {
    error:
      'must be a Slack user id (U…/W…), a user group id (S…) or a user group handle (@name); quote handles: "@name"',
  })
  .transform((value) => (value.startsWith('@') ? value.toLowerCase() : value));

const ChannelId = z
  .string({ error: 'must be a Slack channel id such as C0123ABCD' })
  .regex(CHANNEL_ID, { error: 'must be a Slack channel id such as C0123ABCD (not a #name)' });

const InstanceRef = z
  .string({ error: 'must be an instance id glob (acp-…, * and ? allowed) or an instance group id (ag-…)' })
  .trim()
  .refine((value) => INSTANCE_GLOB.test(value) || INSTANCE_GROUP_ID.test(value), {
    error:
      'must be an instance group id (ag-…) or an instance id glob such as "acp-2ze3*" (only * and ? are wildcards)',
  });

const Location = z
  .string({ error: 'must be an OSS directory such as oss://bucket/backups/' })
  .trim()
  .refine((value) => parseOssPath(value) !== undefined, {
    error: 'must be an OSS directory such as oss://bucket/backups/ (bucket in lower case; no "..", "//" or "%2f")',
  })
  .transform((value) => withTrailingSlash(value));

const Endpoint = z
  .string({ error: 'must be an OSS endpoint host name such as oss-cn-shanghai-internal.aliyuncs.com' })
  .trim()
  .transform((value) => normaliseEndpoint(value))
  .refine((value) => HOSTNAME.test(value), {
    error: 'must be an OSS endpoint host name such as oss-cn-shanghai-internal.aliyuncs.com (no scheme, no path)',
  });

const RegionId = z
  .string({ error: 'must be a region id such as cn-shanghai' })
  .trim()
  .regex(REGION_ID, { error: 'must be a region id such as cn-shanghai or ap-southeast-1 (lower case)' });

export const Role = z
  .strictObject(
    {
      name: z.string({ error: 'must be a name such as support' }).regex(ROLE_NAME, {
        error: 'must be a name of letters, digits, - and _ such as support',
      }),
      members: list(Member, 'member'),
      channels: list(ChannelId, 'channel id').optional(),
      actions: list(PolicyAction, 'action'),
      instances: list(InstanceRef, 'instance pattern'),
      /** The regions whose instances the role covers; without it, every region. */
      regions: list(RegionId, 'region').optional(),
      locations: list(Location, 'backup location').optional(),
      endpoints: list(Endpoint, 'upload endpoint').optional(),
    },
    {
      error:
        'must be a mapping with name, members, actions, instances and optionally channels, regions, locations, endpoints',
    },
  )
  .superRefine((role, ctx) => {
    // Every action that touches or shows a backup file is checked against where the file is stored.
    const needsLocations = role.actions.filter((action) => LOCATION_ACTIONS.has(action));
    if (needsLocations.length > 0 && !role.locations) {
      ctx.addIssue({
        code: 'custom',
        path: ['actions'],
        message: `grants ${needsLocations.join(', ')} but the role has no locations: add "locations:" with the oss:// directories whose backups it may use`,
      });
    }
  });
export type Role = z.infer<typeof Role>;

/**
 * The actions that can wait for a second person: a restore and a deletion overwrite or remove data for good, and a
 * `schedule` (creating or changing one with retention) deletes backups unattended on every run.
 */
export const APPROVAL_ACTIONS = ['restore', 'delete', 'schedule'] as const;
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[number];

/** Shortest and longest wait a rule may set: shorter is no time to answer, longer leaves work hanging for weeks. */
const MIN_EXPIRY_MS = 5 * 60_000;
const MAX_EXPIRY_MS = 7 * 24 * 3_600_000;
const DURATION = /^(\d+)\s*(m|h|d)$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `4h`, `2d` as milliseconds. */
const Expiry = z
  .string({ error: 'must be a duration such as 30m, 4h or 2d' })
  .trim()
  .regex(DURATION, { error: 'must be a duration such as 30m, 4h or 2d (minutes, hours or days)' })
  .transform((value) => {
    const [, amount, unit] = DURATION.exec(value) ?? [];
    return Number(amount) * (UNIT_MS[unit ?? 'h'] ?? 0);
  })
  .refine((ms) => ms >= MIN_EXPIRY_MS && ms <= MAX_EXPIRY_MS, { error: 'must be between 5m and 7d' });

export const ApprovalRule = z
  .strictObject(
    {
      name: z.string({ error: 'must be a name such as prod-restores' }).regex(ROLE_NAME, {
        error: 'must be a name of letters, digits, - and _ such as prod-restores',
      }),
      actions: list(
        z.enum(APPROVAL_ACTIONS, {
          error: `must be one of ${APPROVAL_ACTIONS.join(', ')} (schedule: creating or changing a schedule with retention)`,
        }),
        'action',
      ),
      instances: list(InstanceRef, 'instance pattern'),
      approvers: list(Member, 'approver'),
      required: z
        .union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2 (how many people must approve)' })
        .default(1),
      expires: Expiry.default(4 * 3_600_000),
      /** Where the request is posted for the approvers; without it each approver (user ids only) gets a DM. */
      channel: ChannelId.optional(),
    },
    {
      error: 'must be a mapping with name, actions, instances, approvers and optionally required, expires, channel',
    },
  )
  .superRefine((rule, ctx) => {
    const groups = rule.approvers.filter((member) => !USER_ID.test(member));
    if (groups.length > 0 && !rule.channel) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvers'],
        message: `names user groups (${groups.join(', ')}) but the rule has no channel: the bot can send a direct message only to a person, so add "channel:" with the channel id where approvers are asked`,
      });
    }
    if (groups.length === 0 && rule.approvers.length < rule.required) {
      ctx.addIssue({
        code: 'custom',
        path: ['required'],
        message: `asks for ${rule.required} approvals but lists only ${rule.approvers.length} approver (the requester never approves their own request); add approvers or set required: 1`,
      });
    }
  });
export type ApprovalRule = z.infer<typeof ApprovalRule>;

export const Policy = z
  .strictObject(
    {
      admins: z.array(UserId, { error: 'must be a list of Slack user ids, e.g. [U0123ABCD]' }).default([]),
      roles: z.array(Role, { error: 'must be a list of roles (each starting with "- name: …")' }).default([]),
      approvals: z
        .array(ApprovalRule, { error: 'must be a list of approval rules (each starting with "- name: …")' })
        .optional(),
    },
    { error: 'must be a mapping with "admins:" and "roles:"' },
  )
  .superRefine((policy, ctx) => {
    for (const index of duplicateIndexes(policy.roles)) {
      const role = policy.roles[index]!;
      ctx.addIssue({
        code: 'custom',
        path: ['roles', index, 'name'],
        message: `duplicate role name "${role.name}" (also roles[${firstIndexOf(policy.roles, role.name)}]); denials name roles, so names must be unique`,
      });
    }
    const rules = policy.approvals ?? [];
    for (const index of duplicateIndexes(rules)) {
      const rule = rules[index]!;
      ctx.addIssue({
        code: 'custom',
        path: ['approvals', index, 'name'],
        message: `duplicate approval rule name "${rule.name}" (also approvals[${firstIndexOf(rules, rule.name)}]); the audit trail names rules, so names must be unique`,
      });
    }
  });

/** Positions of the entries whose name an earlier entry already has. */
function duplicateIndexes(entries: readonly { name: string }[]): number[] {
  return entries.flatMap((entry, index) => (firstIndexOf(entries, entry.name) < index ? [index] : []));
}

function firstIndexOf(entries: readonly { name: string }[], name: string): number {
  return entries.findIndex((entry) => entry.name === name);
}
export type Policy = z.infer<typeof Policy>;

// ---------------------------------------------------------------------------------------------------------------
// Loading

/** Reads and checks a policy file. Throws ConfigError naming `file:line:col`, the key and the fix for each problem. */
export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError([`${path}: cannot read the policy file (${code}); check CLOUDPHONE_POLICY`]);
  }
  return parsePolicy(text, path);
}

/** Parses policy YAML. `sourceName` (usually the path) prefixes every problem. Throws ConfigError. */
export function parsePolicy(text: string, sourceName: string): Policy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined): string => {
    if (offset === undefined) return sourceName;
    const { line, col } = lineCounter.linePos(offset);
    return `${sourceName}:${line}:${col}`;
  };

  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => {
        const firstLine = error.message.split('\n')[0] ?? error.message;
        return `${where(error.pos[0])}: YAML syntax error: ${firstLine.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
  }
  if (doc.contents === null) {
    throw new ConfigError([
      `${sourceName}: the policy file is empty; it needs "admins:" and/or "roles:" (see docs/policy.md)`,
    ]);
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError([`${sourceName}: cannot read the policy: ${(error as Error).message}`]);
  }
  const parsed = Policy.safeParse(raw);
  if (parsed.success) return parsed.data;

  const problems: string[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const parentNode = nodeAt(doc.contents, path);
      const allowed = allowedKeysAt(path);
      for (const key of issue.keys) {
        const keyNode = isMap(parentNode)
          ? parentNode.items.find((pair) => scalarValue(pair.key) === key)?.key
          : undefined;
        const offset = rangeStart(keyNode) ?? rangeStart(parentNode);
        const hint = didYouMean(key, allowed);
        problems.push(
          `${where(offset)}: ${describePath([...path, key], raw)}: unknown key "${key}"${hint ? `; did you mean "${hint}"?` : ''} (allowed: ${allowed.join(', ')})`,
        );
      }
      continue;
    }
    // A missing key has no node: point at the nearest enclosing one.
    let offset: number | undefined;
    for (let depth = path.length; depth >= 0 && offset === undefined; depth -= 1) {
      offset = rangeStart(nodeAt(doc.contents, path.slice(0, depth)));
    }
    const missing = issue.code === 'invalid_type' && nodeAt(doc.contents, path) === undefined && path.length > 0;
    problems.push(`${where(offset)}: ${describePath(path, raw)}: ${missing ? 'required; ' : ''}${issue.message}`);
  }
  throw new ConfigError(problems);
}

function nodeAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (isMap(node)) node = node.items.find((pair) => scalarValue(pair.key) === key)?.value;
    else if (isSeq(node) && typeof key === 'number') node = node.items[key];
    else return undefined;
    if (node === undefined || node === null) return undefined;
  }
  return node;
}

function scalarValue(node: unknown): unknown {
  return node && typeof node === 'object' && 'value' in node ? (node as { value: unknown }).value : node;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | undefined)?.range;
  return range ? range[0] : undefined;
}

function allowedKeysAt(path: readonly (string | number)[]): string[] {
  if (path.length === 0) return Object.keys(Policy.shape);
  return Object.keys(path[0] === 'approvals' ? ApprovalRule.shape : Role.shape);
}

/** `roles[1] "support".instances[0]`: the role name helps find the entry in a long file. */
function describePath(path: readonly (string | number)[], raw: unknown): string {
  if (path.length === 0) return '(top level)';
  let text = '';
  let value: unknown = raw;
  path.forEach((key, index) => {
    if (typeof key === 'number') text += `[${key}]`;
    else text += index === 0 ? key : `.${key}`;
    value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[key] : undefined;
    if (
      index === 1 &&
      (path[0] === 'roles' || path[0] === 'approvals') &&
      value &&
      typeof value === 'object' &&
      'name' in value
    ) {
      const name = (value as { name: unknown }).name;
      if (typeof name === 'string') text += ` "${name}"`;
    }
  });
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// Paths, endpoints, globs

/**
 * Splits `oss://bucket/dir/…` into bucket and key, or undefined when it is not a plain OSS URL. Anything that could
 * make a prefix comparison lie (`..` or `.` segments, empty segments, backslashes, percent-encoded dots or slashes,
 * control characters) is rejected rather than normalised.
 */
export function parseOssPath(value: string): { bucket: string; key: string } | undefined {
  const match = /^oss:\/\/([^/]+)(?:\/(.*))?$/.exec(value);
  if (!match) return undefined;
  const bucket = match[1] ?? '';
  const key = match[2] ?? '';
  if (!BUCKET.test(bucket)) return undefined;
  if (key.includes('\\') || hasControlCharacter(key) || /%(2e|2f|5c)/i.test(key)) return undefined;
  const segments = key.split('/');
  // A trailing slash leaves one empty last segment; any other empty segment is `//`.
  const inner = key.endsWith('/') ? segments.slice(0, -1) : segments;
  if (key !== '' && inner.some((segment) => segment === '' || segment === '.' || segment === '..')) return undefined;
  return { bucket, key };
}

function hasControlCharacter(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function withTrailingSlash(value: string): string {
  return value.endsWith('/') ? value : `${value}/`;
}

function normaliseEndpoint(value: string): string {
  return value.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * True when `path` is the directory `location` or lies under it. Both are compared with a trailing slash, so
 * `oss://b/backups/` covers `oss://b/backups`, `oss://b/backups/x/` and `oss://b/backups/acp-1.ab`, never
 * `oss://b/backups-evil/`.
 */
export function pathWithin(path: string, location: string): boolean {
  if (parseOssPath(path) === undefined || parseOssPath(location) === undefined) return false;
  return withTrailingSlash(path).startsWith(withTrailingSlash(location));
}

/**
 * Matches an instance id against an `acp-…` glob: `*` any run, `?` one character, nothing else special. A linear
 * two-pointer match rather than a RegExp, so no pattern can make matching slow.
 */
export function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = t;
      p += 1;
    } else if (star !== -1) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

/** The request as the service layer asks it; `instanceGroups` (instance id → `ag-…`) feeds rules naming groups. */
export type PolicyRequest = AccessRequest;

export interface PolicyContext {
  /**
   * The user group references (as written in the policy: `S…` ids and lower-case `@handles`) the person belongs to.
   * Resolved by the caller; a group whose lookup failed must simply be absent (fail closed).
   */
  groupsOf(userId: string): ReadonlySet<string> | readonly string[];
  /** For `scopeFor`: limit the scope to roles usable from this channel. */
  channelId?: string | undefined;
}

export type PolicyRule = 'admins' | 'default-deny' | `role:${string}`;

/** `reason` is Slack mrkdwn: channels appear as `<#C…>` links and echoed input is escaped (`&lt;` etc.). */
export type PolicyDecision =
  | { allowed: true; rule: PolicyRule; reason?: undefined }
  | { allowed: false; rule: PolicyRule; reason: string };

const VERBS: Record<Action, string> = {
  backup: 'back up',
  restore: 'restore',
  delete: 'delete backups of',
  status: 'see the status of',
  list: 'list backups of',
  audit: 'read the audit trail',
};

/** The phrase for "you may … / you may not … from this channel". */
export function actionVerb(action: Action): string {
  return VERBS[action];
}

function isPolicyAction(action: Action): action is PolicyAction {
  return (POLICY_ACTIONS as readonly string[]).includes(action);
}

function groupSet(ctx: PolicyContext, userId: string): ReadonlySet<string> {
  const groups = ctx.groupsOf(userId);
  return groups instanceof Set ? groups : new Set(groups as readonly string[]);
}

function isMemberOf(role: Role, userId: string, groups: ReadonlySet<string>): boolean {
  return role.members.some((member) => member === userId || groups.has(member));
}

/** Whether a role's instance reference names an instance group (`ag-…`) rather than an id glob. */
export function isInstanceGroupRef(ref: string): boolean {
  return ref.startsWith('ag-');
}

/** Whether one instance reference covers an instance: a group by the cloud's group id, a glob by the instance id. */
export function instanceRefCovers(ref: string, instanceId: string, groupId: string | undefined): boolean {
  return isInstanceGroupRef(ref) ? groupId !== undefined && ref === groupId : globMatches(ref, instanceId);
}

/** The facts about the instances a request names that roles may depend on: their groups and regions. */
type Placements = Pick<PolicyRequest, 'instanceGroups' | 'instanceRegions'>;

function coversInstance(role: Role, instanceId: string, placements: Placements): boolean {
  const group = placements.instanceGroups?.[instanceId];
  return (
    role.instances.some((ref) => instanceRefCovers(ref, instanceId, group)) &&
    coversRegion(role, instanceId, placements)
  );
}

/** A role without `regions:` covers every region; one with it, only instances known to be in one of them. */
function coversRegion(role: Role, instanceId: string, placements: Placements): boolean {
  if (!role.regions) return true;
  const region = placements.instanceRegions?.[instanceId];
  return region !== undefined && role.regions.includes(region);
}

function coversPath(role: Role, path: string): boolean {
  return (role.locations ?? []).some((location) => pathWithin(path, location));
}

function coversEndpoint(role: Role, endpoint: string): boolean {
  return !role.endpoints || role.endpoints.includes(normaliseEndpoint(endpoint));
}

const unique = <T>(items: Iterable<T>): T[] => [...new Set(items)];
/**
 * Reasons are Slack mrkdwn (`<#C…>` links a channel), so a value the person typed is escaped before it is echoed:
 * a path like `oss://b/<!channel>/` must not ping anyone. Long values are cut.
 */
const show = (value: string): string => {
  const cut = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
};
const deny = (reason: string): PolicyDecision => ({ allowed: false, rule: 'default-deny', reason });
const roleRule = (roles: readonly Role[]): PolicyRule =>
  roles.map((role) => `role:${role.name}`).join('+') as `role:${string}`;

/**
 * Decides one request. Pure: group membership comes from `ctx`. Denies by default; admins may do everything. Each
 * role is a grant of (instances × locations × endpoints) for its actions and channels, and the person may do what
 * the union of those grants covers: every requested instance must be covered by a role that also covers the
 * requested path and endpoint. (Covering each dimension by a different role would let a prod role's instances be
 * written to a test role's bucket.) A denial names what was missing.
 */
export function evaluatePolicy(policy: Policy, request: PolicyRequest, ctx: PolicyContext): PolicyDecision {
  const userId = request.actor.userId;
  if (policy.admins.includes(userId)) return { allowed: true, rule: 'admins' };

  const action = request.action;
  if (!isPolicyAction(action)) return deny(`only the bot's admins may ${actionVerb(action)}`);

  const groups = groupSet(ctx, userId);
  const memberRoles = policy.roles.filter((role) => isMemberOf(role, userId, groups));
  if (memberRoles.length === 0) {
    return deny(
      `you are not in any role of the access policy, so you may not ${actionVerb(action)} anything; ask an admin`,
    );
  }

  const actionRoles = memberRoles.filter((role) => role.actions.includes(action));
  if (actionRoles.length === 0) {
    return deny(`your roles do not include ${action} (your roles: ${memberRoles.map((role) => role.name).join(', ')})`);
  }

  const applicable = actionRoles.filter((role) => !role.channels || role.channels.includes(request.channelId));
  if (applicable.length === 0) {
    const channels = unique(actionRoles.flatMap((role) => role.channels ?? []));
    return deny(
      `you may not ${actionVerb(action)} from this channel (allowed: ${channels.map((id) => `<#${id}>`).join(', ')})`,
    );
  }

  let candidates = applicable;
  const path = request.backupPath;
  if (path !== undefined) {
    if (parseOssPath(path) === undefined) {
      return deny(`backup path ${show(path)} is not a plain OSS path such as oss://bucket/dir/`);
    }
    candidates = candidates.filter((role) => coversPath(role, path));
    if (candidates.length === 0) {
      const locations = unique(applicable.flatMap((role) => role.locations ?? []));
      return deny(`backup path ${show(path)} is outside your locations (${locations.join(', ') || 'none'})`);
    }
  }

  const endpoint = request.uploadEndpoint;
  if (endpoint !== undefined) {
    const withPath = candidates;
    candidates = candidates.filter((role) => coversEndpoint(role, endpoint));
    if (candidates.length === 0) {
      const endpoints = unique(withPath.flatMap((role) => role.endpoints ?? []));
      return deny(
        `upload endpoint ${show(endpoint)} is not one of your endpoints (${endpoints.join(', ')})${path !== undefined ? ` for ${show(path)}` : ''}`,
      );
    }
  }

  const used: Role[] = [];
  if (request.targets && request.targets.length > 0) {
    const targetDecision = coverTargets(request.targets, candidates, request, action, used);
    if (targetDecision) return targetDecision;
  }

  const instanceIds = request.instanceIds ?? [];
  if (instanceIds.length === 0) {
    return { allowed: true, rule: roleRule(used.length > 0 ? used : candidates.slice(0, 1)) };
  }

  const uncovered: string[] = [];
  for (const instanceId of instanceIds) {
    const role = candidates.find((candidate) => coversInstance(candidate, instanceId, request));
    if (!role) uncovered.push(instanceId);
    else if (!used.includes(role)) used.push(role);
  }
  if (uncovered.length === 0) return { allowed: true, rule: roleRule(used) };

  const regionDenial = outOfRegion(uncovered, candidates, request, action);
  if (regionDenial) return regionDenial;
  const patterns = unique(candidates.flatMap((role) => role.instances));
  const narrowed = candidates.length < applicable.length;
  const qualifier = narrowed
    ? ` with ${[path !== undefined ? `backup path ${show(path)}` : '', endpoint !== undefined ? `endpoint ${show(endpoint)}` : ''].filter(Boolean).join(' and ')}`
    : '';
  return deny(
    `you may ${actionVerb(action)} ${patterns.join(', ')}${qualifier} but not ${uncovered.map(show).join(', ')}`,
  );
}

/**
 * When every uncovered instance matches a candidate's patterns and only the role's `regions:` leave it out, the denial
 * says so, naming the instance's region (or that it is not known yet) and the regions the roles allow.
 */
function outOfRegion(
  uncovered: readonly string[],
  candidates: readonly Role[],
  placements: Placements,
  action: Action,
): PolicyDecision | undefined {
  const byPattern = (id: string) =>
    candidates.filter((role) =>
      role.instances.some((ref) => instanceRefCovers(ref, id, placements.instanceGroups?.[id])),
    );
  if (!uncovered.every((id) => byPattern(id).length > 0)) return undefined;
  const allowed = unique(uncovered.flatMap((id) => byPattern(id).flatMap((role) => role.regions ?? [])));
  const where = uncovered.map((id) => {
    const region = placements.instanceRegions?.[id];
    return `${show(id)} is in ${region ? show(region) : 'a region the cloud has not told the bot yet'}`;
  });
  return deny(
    `your roles let you ${actionVerb(action)} instances in ${allowed.join(', ')} only, and ${where.join(', ')}`,
  );
}

/**
 * Each backup file acted on must come from an instance and lie in a location that ONE candidate role covers
 * together (a role's instances with another role's bucket would not do). A file whose source instance or path is
 * unknown is refused: nobody can say whose it is. Returns the denial, or undefined when all are covered (the roles
 * used are added to `used`).
 */
function coverTargets(
  targets: readonly AccessTarget[],
  candidates: readonly Role[],
  placements: Placements,
  action: Action,
  used: Role[],
): PolicyDecision | undefined {
  const unknown: string[] = [];
  const uncovered: string[] = [];
  for (const target of targets) {
    const { instanceId, path } = target;
    if (!instanceId || !path || parseOssPath(path) === undefined) {
      unknown.push(show(target.label));
      continue;
    }
    const role = candidates.find(
      (candidate) => coversInstance(candidate, instanceId, placements) && coversPath(candidate, path),
    );
    // Where an out-of-scope file came from and lies is not echoed: that too is outside what the person may see.
    if (!role) uncovered.push(show(target.label));
    else if (!used.includes(role)) used.push(role);
  }
  if (unknown.length > 0) {
    return deny(
      `the cloud does not say which instance ${unknown.join(', ')} ${unknown.length === 1 ? 'was' : 'were'} made from or where ${unknown.length === 1 ? 'it is' : 'they are'} stored, so only an admin may ${actionVerb(action)} ${unknown.length === 1 ? 'it' : 'them'}`,
    );
  }
  if (uncovered.length === 0) return undefined;
  const patterns = unique(candidates.flatMap((role) => role.instances));
  const locations = unique(candidates.flatMap((role) => role.locations ?? []));
  return deny(
    `you may ${actionVerb(action)} ${patterns.join(', ')} in ${locations.join(', ') || 'no location'}; ${uncovered.join(', ')} ${uncovered.length === 1 ? 'was' : 'were'} made from an instance or ${uncovered.length === 1 ? 'is' : 'are'} stored in a location outside those`,
  );
}

/** One role's instances: its patterns, in its regions (undefined: every region). */
export interface InstanceRule {
  patterns: readonly string[];
  regions?: readonly string[] | undefined;
}

export interface PolicyScope {
  /** First location of the first usable role that lists locations: the modal's default backup path. */
  defaultBackupPath?: string | undefined;
  /** First endpoint of that same role; undefined when it allows any endpoint (use the configured default). */
  defaultEndpoint?: string | undefined;
  /** Instance globs and `ag-…` group ids the person may use; empty when unrestricted or when nothing is allowed. */
  instancePatterns: string[];
  /** True when some usable role names `regions:`, so an instance's region can decide. */
  regionLimited?: boolean;
  /** Each usable role's instance patterns with its `regions:` (none: every region), for the instance picker. */
  instanceRules?: InstanceRule[];
  /** True for admins: anything goes, offer everything. */
  unrestricted: boolean;
  /** Every location and endpoint the usable roles list (endpoints empty: any endpoint is allowed). */
  locations: string[];
  endpoints: string[];
  /** Names of the roles that grant this action to the person (here, if `ctx.channelId` is given). */
  roles: string[];
}

/** What the modal should offer this person for this action: defaults from their role and instances in scope. */
export function scopeFor(policy: Policy, actor: { userId: string }, action: Action, ctx: PolicyContext): PolicyScope {
  if (policy.admins.includes(actor.userId)) {
    return { instancePatterns: [], unrestricted: true, locations: [], endpoints: [], roles: [] };
  }
  if (!isPolicyAction(action)) {
    return { instancePatterns: [], unrestricted: false, locations: [], endpoints: [], roles: [] };
  }
  const groups = groupSet(ctx, actor.userId);
  const roles = policy.roles.filter(
    (role) =>
      isMemberOf(role, actor.userId, groups) &&
      role.actions.includes(action) &&
      (ctx.channelId === undefined || !role.channels || role.channels.includes(ctx.channelId)),
  );
  // Defaults come from one role so that they are allowed together; no endpoint means the role allows any.
  const first = roles.find((role) => role.locations) ?? roles[0];
  return {
    defaultBackupPath: first?.locations?.[0],
    defaultEndpoint: first?.endpoints?.[0],
    instancePatterns: unique(roles.flatMap((role) => role.instances)),
    regionLimited: roles.some((role) => role.regions !== undefined),
    instanceRules: roles.map((role) => ({ patterns: role.instances, regions: role.regions })),
    unrestricted: false,
    locations: unique(roles.flatMap((role) => role.locations ?? [])),
    endpoints: roles.some((role) => !role.endpoints) ? [] : unique(roles.flatMap((role) => role.endpoints ?? [])),
    roles: roles.map((role) => role.name),
  };
}

/**
 * Whether an `acp-…` glob can match any instance id at all. The cloud's ids are `acp-` and then lower-case letters
 * and digits only (`acp-2ze3abc…`), so a glob with a `-`, `_` or capital after `acp-` (the tempting `acp-prod-*`)
 * matches nothing and grants nothing.
 */
export function globCanMatchInstanceId(glob: string): boolean {
  if (!glob.startsWith('acp-')) return false;
  const rest = glob.slice('acp-'.length);
  return rest.length > 0 && /^[a-z0-9*?]+$/.test(rest);
}

/** One line per instance glob in the policy that can never match an instance id: a start-up warning each. */
export function unmatchableGlobWarnings(policy: Policy): string[] {
  return policy.roles.flatMap((role) =>
    role.instances
      .filter((ref) => !isInstanceGroupRef(ref) && !globCanMatchInstanceId(ref))
      .map(
        (glob) =>
          `role "${role.name}": instance pattern "${glob}" can never match (instance ids are acp- and lower-case letters and digits only); name an instance group (ag-…) instead, or a glob such as "acp-2ze3*"`,
      ),
  );
}

/** Every user group reference (`S…`, `@handle`) the policy names, optionally only in roles granting `action`. */
export function groupRefsIn(policy: Policy, action?: Action): string[] {
  return unique(
    policy.roles
      .filter((role) => action === undefined || (role.actions as readonly string[]).includes(action))
      .flatMap((role) => role.members.filter((member) => !USER_ID.test(member))),
  );
}
