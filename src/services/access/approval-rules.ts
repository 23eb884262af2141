/**
 * The policy's `approvals:` rules, evaluated: which restore, delete or schedule change (one with retention) waits for a
 * second person, who may approve it, how many must, and for how long. Pure like the rest of the policy: the caller resolves instance groups and user
 * group membership first. Without rules nothing waits.
 */
import type { Action } from './permissions.js';
import type { ApprovalAction, ApprovalRule, Policy } from './policy.js';
import { instanceRefCovers, isInstanceGroupRef } from './policy.js';

/** What a request must collect before it may change anything. Stored with the request, so a policy edit later does
 * not change what a waiting request needs. */
export interface ApprovalRequirement {
  /** The rule's name (the audit trail and the messages show it). */
  rule: string;
  action: ApprovalAction;
  /** User ids, `S…` ids and `@handles`, as the rule lists them. */
  approvers: string[];
  required: 1 | 2;
  expiresMs: number;
  /** Where approvers are asked; undefined: a direct message to each approver. */
  channel?: string | undefined;
}

export interface ApprovalQuery {
  action: ApprovalAction;
  /** The instances the request changes (a restore's targets, a deletion's source instances, a schedule's targets). */
  instanceIds: readonly string[];
  /** Instance id → `ag-…` group, for rules naming groups. */
  instanceGroups?: Readonly<Record<string, string>>;
  /**
   * True when the groups could not be looked up: a rule naming a group then applies to every instance (waiting for an
   * approval nobody needed is recoverable; changing a prod phone unreviewed is not).
   */
  groupsUnknown?: boolean;
  /**
   * True when some of what the request changes has no known instance (a backup the cloud does not say the source of):
   * every rule for the action then applies, as nobody can say it is outside them.
   */
  instancesUnknown?: boolean;
}

function ruleCovers(rule: ApprovalRule, query: ApprovalQuery): boolean {
  if (!rule.actions.includes(query.action)) return false;
  if (query.instancesUnknown) return true;
  return query.instanceIds.some((id) =>
    rule.instances.some((ref) =>
      isInstanceGroupRef(ref) && query.groupsUnknown ? true : instanceRefCovers(ref, id, query.instanceGroups?.[id]),
    ),
  );
}

/** Whether any rule could apply to this action, and whether one names instance groups (then groups are needed). */
export function approvalNeedsGroups(policy: Pick<Policy, 'approvals'>, action: ApprovalAction): boolean {
  return (policy.approvals ?? []).some(
    (rule) => rule.actions.includes(action) && rule.instances.some((ref) => isInstanceGroupRef(ref)),
  );
}

/**
 * The requirement for a request, or undefined when no rule covers any of its instances. When several rules do, the
 * strictest wins: the most approvals, then the first listed (its approvers and expiry apply).
 */
export function approvalRequirementFor(
  policy: Pick<Policy, 'approvals'>,
  query: ApprovalQuery,
): ApprovalRequirement | undefined {
  let chosen: ApprovalRule | undefined;
  for (const rule of policy.approvals ?? []) {
    if (!ruleCovers(rule, query)) continue;
    if (!chosen || rule.required > chosen.required) chosen = rule;
  }
  if (!chosen) return undefined;
  return {
    rule: chosen.name,
    action: query.action,
    approvers: [...chosen.approvers],
    required: chosen.required,
    expiresMs: chosen.expires,
    ...(chosen.channel ? { channel: chosen.channel } : {}),
  };
}

/**
 * What an approver must be allowed themselves, on the request's instances, for their decision to count: the action
 * itself, and for a schedule `delete`, since what the approval lets through unattended is its retention's deletions.
 */
export function approverAction(action: ApprovalAction): Action {
  return action === 'schedule' ? 'delete' : action;
}

export type ApproverVerdict = { ok: true } | { ok: false; reason: 'own-request' | 'not-an-approver'; message: string };

/**
 * May this person approve (or deny) this request, by the rule alone? Never the requester; otherwise a listed user or
 * a member of a listed group (`groups`: the references the person belongs to, looked up at click time).
 */
export function approverVerdict(
  requirement: Pick<ApprovalRequirement, 'approvers' | 'rule'>,
  input: { approverId: string; requesterId: string; groups: ReadonlySet<string> },
): ApproverVerdict {
  if (input.approverId === input.requesterId) {
    return {
      ok: false,
      reason: 'own-request',
      message: 'you asked for this yourself, and nobody may approve their own request',
    };
  }
  const listed = requirement.approvers.some((ref) => ref === input.approverId || input.groups.has(ref));
  if (listed) return { ok: true };
  return {
    ok: false,
    reason: 'not-an-approver',
    message: `you are not among the approvers of rule "${requirement.rule}" (${requirement.approvers.join(', ')})`,
  };
}

/** The group references among the approvers (to look membership up for). */
export function approverGroupRefs(requirement: Pick<ApprovalRequirement, 'approvers'>): string[] {
  return requirement.approvers.filter((ref) => ref.startsWith('S') || ref.startsWith('@'));
}

/** The user ids among the approvers: the people a rule without a channel sends a direct message. */
export function approverUserIds(requirement: Pick<ApprovalRequirement, 'approvers'>): string[] {
  return requirement.approvers.filter((ref) => !ref.startsWith('S') && !ref.startsWith('@'));
}
