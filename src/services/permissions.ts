/**
 * Who may do what. Every entry point asks here before anything reaches the cloud. Today the rule is an admin list
 * (CLOUDPHONE_ADMINS); the request carries everything a fuller policy needs (action, channel, instances, path,
 * endpoint), so a policy can replace `decide` without touching callers.
 */
import type { Actor } from './model.js';

export type Action = 'backup' | 'restore' | 'delete' | 'status' | 'list' | 'audit';

export interface AccessRequest {
  actor: Actor;
  action: Action;
  channelId: string;
  instanceIds?: readonly string[];
  backupPath?: string;
  uploadEndpoint?: string;
}

export type AccessDecision = { allowed: true; rule: string } | { allowed: false; rule: string; reason: string };

export interface PermissionService {
  check(request: AccessRequest): Promise<AccessDecision>;
}

export function createAdminListPermissions(admins: readonly string[]): PermissionService {
  const adminSet = new Set(admins);
  return {
    async check(request) {
      if (adminSet.has(request.actor.userId)) return { allowed: true, rule: 'admins' };
      return {
        allowed: false,
        rule: 'admins',
        reason:
          adminSet.size === 0
            ? `nobody may ${request.action} yet: no admins are configured (an operator sets CLOUDPHONE_ADMINS)`
            : `only the bot's admins may ${request.action}; ask one of them to add you to CLOUDPHONE_ADMINS`,
      };
    },
  };
}
