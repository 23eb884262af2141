/**
 * Two-person approval from the people's side: what a request about to be confirmed must collect (the policy's
 * `approvals:` rules), and an approver's decision, checked when they click: never the requester, listed (or in a
 * listed user group right now), and allowed the action on those instances themselves. Each decision is recorded once,
 * in the audit trail too, and wakes the request so the runner's `approval` step moves it on.
 */
import type { ApprovalDecisionKind, ApprovalRecord } from '../../db/approvals.js';
import type { Repositories } from '../../db/index.js';
import {
  type ApprovalRequirement,
  approvalNeedsGroups,
  approvalRequirementFor,
  approverAction,
  approverGroupRefs,
  approverVerdict,
} from '../access/approval-rules.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard } from '../access/guard.js';
import type { ApprovalAction, Policy } from '../access/policy.js';
import type { UserGroupDirectory } from '../access/user-groups.js';
import type { Actor } from '../backup/model.js';
import type { Clock } from '../pipeline/ports.js';

/** Longest reason kept with a denial. */
export const MAX_DENIAL_REASON = 500;

export type DecideRefusal =
  | 'not-found'
  | 'ended'
  | 'expired'
  | 'own-request'
  | 'not-an-approver'
  | 'denied'
  | 'already-decided'
  | 'no-reason';

export type DecideResult =
  | { ok: true; approval: ApprovalRecord }
  | { ok: false; reason: DecideRefusal; message?: string | undefined };

export interface ApprovalServiceDeps {
  repos: Repositories;
  /** The policy's rules; undefined or empty: nothing ever waits. */
  policy: Pick<Policy, 'approvals'> | undefined;
  /** Membership of the approvers' user groups, asked at click time. */
  userGroups?: Pick<UserGroupDirectory, 'membership'> | undefined;
  /** Instance id → `ag-…`, for rules naming instance groups; a failure makes such rules apply (fail closed). */
  instanceGroups?: ((ids: readonly string[]) => Promise<Readonly<Record<string, string>>>) | undefined;
  guard: AccessGuard;
  audit: AuditTrail;
  clock: Clock;
  runner: { kick(): void };
}

export function createApprovalService(deps: ApprovalServiceDeps) {
  const { repos, policy, guard, audit, clock, runner } = deps;

  /** A refusal the approver sees, also in the audit trail (who tried to decide what, and why not). */
  function refuse(
    approver: Actor,
    approval: ApprovalRecord,
    channelId: string,
    reason: DecideRefusal,
    message: string,
    decision: ApprovalDecisionKind,
  ): DecideResult {
    audit.recordDecision({
      actor: approver,
      channelId,
      action: approval.action,
      params: { step: decision, approvalOf: approval.requestId, rule: approval.rule },
      decision: { allowed: false, rule: `approval:${approval.rule}`, reason: message },
    });
    return { ok: false, reason, message };
  }

  return {
    /** Whether approvals are configured at all (without them no request ever waits). */
    enabled: (policy?.approvals?.length ?? 0) > 0,

    /**
     * What a request changing these instances must collect first, or undefined. Instance groups are looked up only
     * when a rule for this action names one.
     */
    async requirementFor(query: {
      action: ApprovalAction;
      instanceIds: readonly string[];
      instancesUnknown?: boolean;
    }): Promise<ApprovalRequirement | undefined> {
      if (!policy?.approvals?.length) return undefined;
      if (query.instanceIds.length === 0 && !query.instancesUnknown) return undefined;
      if (!approvalNeedsGroups(policy, query.action)) return approvalRequirementFor(policy, query);
      try {
        if (!deps.instanceGroups) throw new Error('no instance group lookup');
        const instanceGroups = await deps.instanceGroups(query.instanceIds);
        return approvalRequirementFor(policy, { ...query, instanceGroups });
      } catch {
        return approvalRequirementFor(policy, { ...query, groupsUnknown: true });
      }
    },

    /** Records the requirement for a request being confirmed (call inside the confirmation's transaction). */
    open(requestId: string, requirement: ApprovalRequirement, instanceIds: readonly string[]): void {
      repos.approvals.open(requestId, requirement, instanceIds, clock.now());
    },

    get(requestId: string): ApprovalRecord | undefined {
      return repos.approvals.get(requestId);
    },

    /**
     * An approver's Approve or Deny. Everything is checked now, at the click: the request still waits, the person
     * is not its requester, is an approver (user groups looked up now), and may do the action on those instances.
     */
    async decide(input: {
      requestId: string;
      approver: Actor;
      /** Where the person clicked (for the audit trail). */
      channelId: string;
      decision: ApprovalDecisionKind;
      reason?: string | undefined;
    }): Promise<DecideResult> {
      const { approver, decision } = input;
      const approval = repos.approvals.get(input.requestId);
      const request = repos.requests.row(input.requestId);
      if (!approval || !request) return { ok: false, reason: 'not-found' };
      if (approval.state !== 'waiting') return { ok: false, reason: 'ended', message: approval.state };
      if (clock.now() >= approval.expiresAt) return { ok: false, reason: 'expired' };
      const reason = input.reason?.trim();
      if (decision === 'deny' && !reason) return { ok: false, reason: 'no-reason' };
      if (approval.decisions.some((d) => d.userId === approver.userId)) {
        return { ok: false, reason: 'already-decided' };
      }

      const refs = approverGroupRefs(approval);
      const membership =
        refs.length > 0 && deps.userGroups
          ? await deps.userGroups.membership(approver.userId, refs).catch(() => ({ groups: new Set<string>() }))
          : { groups: new Set<string>() };
      const verdict = approverVerdict(approval, {
        approverId: approver.userId,
        requesterId: request.user_id,
        groups: membership.groups,
      });
      if (!verdict.ok) {
        return refuse(approver, approval, input.channelId, verdict.reason, verdict.message, decision);
      }

      // The approver's own permission for the action on these instances, from the request's channel.
      const { decision: access, auditId } = await guard.check(
        {
          actor: approver,
          action: approverAction(approval.action),
          channelId: request.channel_id,
          instanceIds: approval.instanceIds,
        },
        { step: decision, approvalOf: approval.requestId, rule: approval.rule, reason },
      );
      if (!access.allowed) return { ok: false, reason: 'denied', message: access.reason };

      const recorded = repos.db.transaction(() => {
        const added = repos.approvals.decide(
          approval.requestId,
          approver.userId,
          decision,
          reason?.slice(0, MAX_DENIAL_REASON),
          clock.now(),
        );
        audit.recordOutcome(auditId, {
          status: added ? (decision === 'approve' ? 'approved' : 'denied') : 'not-recorded',
          approvalOf: approval.requestId,
          requester: request.user_id,
          ...(reason ? { reason } : {}),
        });
        // The runner's approval step looks at the decisions now, not at the expiry.
        if (added) repos.requests.wakeAt(approval.requestId, clock.now(), clock.now());
        return added;
      })();
      if (!recorded) {
        const now = repos.approvals.get(approval.requestId);
        return now?.state === 'waiting' ? { ok: false, reason: 'already-decided' } : { ok: false, reason: 'ended' };
      }
      runner.kick();
      return { ok: true, approval: repos.approvals.get(approval.requestId) ?? approval };
    },
  };
}

export type ApprovalService = ReturnType<typeof createApprovalService>;
