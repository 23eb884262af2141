/**
 * The one gate every entry point passes: the permission decision, written to the audit log before anything is
 * acted on, allowed or denied.
 */

import type { Actor } from '../backup/model.js';
import { answerDeadlinePassed } from './answer-deadline.js';
import type { AuditTrail } from './audit.js';
import type { AccessDecision, AccessRequest, Action, PermissionService, VisibleItem } from './permissions.js';

export interface GuardResult {
  decision: AccessDecision;
  auditId: number;
}

export interface PendingDecision {
  decision: AccessDecision;
  /**
   * Writes the decision to the audit log and returns its id. Call it once, before acting; inside the transaction of
   * what the decision allowed, it commits (or rolls back) with it.
   */
  record(): number;
}

/**
 * An allowance that arrives after the answer's deadline is withdrawn: Slack has shown the person a failure by then
 * (or is about to), so starting the work would surprise them, and their retry would start it twice.
 */
function inTime(decision: AccessDecision): AccessDecision {
  if (!decision.allowed || !answerDeadlinePassed()) return decision;
  return {
    allowed: false,
    rule: decision.rule,
    reason:
      'checking your access took longer than Slack waits for an answer, so nothing was started; try again in a minute',
  };
}

export function createAccessGuard(deps: { permissions: PermissionService; audit: AuditTrail }) {
  async function decide(request: AccessRequest, params: Record<string, unknown> = {}): Promise<PendingDecision> {
    const decision = inTime(await deps.permissions.check(request));
    return {
      decision,
      record: () =>
        deps.audit.recordDecision({
          actor: request.actor,
          channelId: request.channelId,
          action: request.action,
          params,
          decision,
        }),
    };
  }

  return {
    /** Decides and records. `params` is what was asked, as the audit log should show it (redacted there too). */
    async check(request: AccessRequest, params: Record<string, unknown> = {}): Promise<GuardResult> {
      const pending = await decide(request, params);
      return { decision: pending.decision, auditId: pending.record() };
    },

    /**
     * Decides, and leaves the recording to the caller, for an answer that acts on nothing by itself: the caller
     * records before it acts (opening a form after Slack's ack, say), so the commit is not in the way of the ack.
     */
    decide,

    /** Which items the person may see (lists, form choices, status); not recorded: nothing is acted on. */
    visible: deps.permissions.visible,

    /** Keeps the items the person may see, in order. */
    async onlyVisible<T>(
      actor: Actor,
      action: Action,
      channelId: string,
      items: readonly T[],
      itemOf: (item: T) => VisibleItem,
    ): Promise<T[]> {
      const shown = await deps.permissions.visible(actor, action, channelId, items.map(itemOf));
      return items.filter((_, index) => shown[index]);
    },
  };
}

export type AccessGuard = ReturnType<typeof createAccessGuard>;
