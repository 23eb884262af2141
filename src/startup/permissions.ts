/**
 * Who may do what, from the settings: the policy file when ACCESS_POLICY_FILE is set (a bad file stops start-up with
 * ConfigError), else the admin list. Policy rules naming Slack user groups look them up with a client of their own.
 */
import { webApi } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import {
  createAdminListPermissions,
  createPolicyPermissions,
  type PermissionService,
} from '../services/access/permissions.js';
import { loadPolicyFile, type Policy, unmatchableGlobWarnings } from '../services/access/policy.js';
import { createUserGroupDirectory, type UserGroupDirectory } from '../services/access/user-groups.js';
import type { InstanceDirectory } from '../services/fleet/instance-directory.js';
import type { Clock } from '../services/pipeline/ports.js';

/**
 * How long a permission check waits for the cloud to say which instance groups the requested instances are in (for
 * `ag-…` rules) before denying with "try again": the check runs before Slack's 3-second ack.
 */
const GROUP_LOOKUP_WAIT_MS = 2_000;

/**
 * How long a permission check waits for Slack's user group lookups before denying with "try again": with the cloud's
 * instance groups (above) it must still leave Slack's 3-second ack in time.
 */
const GROUP_MEMBERSHIP_WAIT_MS = 1_200;

/** One attempt at a user group lookup over HTTP. */
const GROUP_CALL_TIMEOUT_MS = 1_000;

/** The access decisions, and what two-person approval needs from the same policy file. */
export interface Access {
  permissions: PermissionService;
  /** The policy file, when there is one (its `approvals:` rules). */
  policy?: Policy | undefined;
  /** Slack user group membership, cached as for permissions (approvers' groups are checked at click time). */
  userGroups?: UserGroupDirectory | undefined;
  /** Instance id → `ag-…` for approval rules naming instance groups. */
  instanceGroups?: ((ids: readonly string[]) => Promise<Readonly<Record<string, string>>>) | undefined;
}

/**
 * How long a confirmation waits for the instance groups an approval rule names (it runs before Slack's ack, after
 * the permission check); a late answer makes the rule apply.
 */
const APPROVAL_GROUP_WAIT_MS = 1_000;

export function buildAccess(
  config: Config,
  deps: { instances: InstanceDirectory; clock: Clock; logger: Logger },
): Access {
  const { instances, clock, logger } = deps;
  if (!config.access.policyPath) return { permissions: createAdminListPermissions(config.access.admins) };
  const client = userGroupClient(config);
  const policy = loadPolicyFile(config.access.policyPath);
  for (const warning of unmatchableGlobWarnings(policy)) {
    logger.warn({ policy: config.access.policyPath }, `access policy: ${warning}`);
  }
  const userGroups = createUserGroupDirectory({
    ttlMs: config.access.userGroupCacheMs,
    now: () => clock.now(),
    listMembers: async (usergroup) => (await client.usergroups.users.list({ usergroup })).users ?? [],
    resolveHandle: async (handle) =>
      (await client.usergroups.list({})).usergroups?.find((group) => group.handle?.toLowerCase() === handle)?.id,
    onError: (error, group) => logger.warn({ err: error, group }, 'user group lookup failed; denying for now'),
    deadlineMs: GROUP_MEMBERSHIP_WAIT_MS,
  });
  const permissions = createPolicyPermissions({
    policy,
    extraAdmins: config.access.admins,
    userGroups,
    instanceGroups: (ids) => instances.groupsOf(ids, { waitMs: GROUP_LOOKUP_WAIT_MS }),
    instanceRegions: (ids) => instances.regionsOf(ids, { waitMs: GROUP_LOOKUP_WAIT_MS }),
  });
  return {
    permissions,
    policy,
    userGroups,
    instanceGroups: (ids) => instances.groupsOf(ids, { waitMs: APPROVAL_GROUP_WAIT_MS }),
  };
}

/**
 * A Web API client for user group lookups only. The bot's client retries and waits out rate limits (right for
 * messages, which may arrive late); a lookup runs before an ack and is useless after it, so it gets one short try and
 * a rate-limited call fails at once (the check then denies, saying to try again).
 */
function userGroupClient(config: Config): WebClient {
  return new webApi.WebClient(config.slack.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: GROUP_CALL_TIMEOUT_MS,
    logLevel: webApi.LogLevel.ERROR,
  });
}
