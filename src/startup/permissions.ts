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
import { loadPolicyFile, unmatchableGlobWarnings } from '../services/access/policy.js';
import { createUserGroupDirectory } from '../services/access/user-groups.js';
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

export function buildPermissions(
  config: Config,
  deps: { instances: InstanceDirectory; clock: Clock; logger: Logger },
): PermissionService {
  const { instances, clock, logger } = deps;
  if (!config.access.policyPath) return createAdminListPermissions(config.access.admins);
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
  return createPolicyPermissions({
    policy,
    extraAdmins: config.access.admins,
    userGroups,
    instanceGroups: (ids) => instances.groupsOf(ids, { waitMs: GROUP_LOOKUP_WAIT_MS }),
    instanceRegions: (ids) => instances.regionsOf(ids, { waitMs: GROUP_LOOKUP_WAIT_MS }),
  });
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
