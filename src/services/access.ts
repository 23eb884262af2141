/**
 * The one gate every entry point passes: the permission decision, written to the audit log before anything is
 * acted on, allowed or denied.
 */
import type { AuditTrail } from './audit.js';
import type { AccessDecision, AccessRequest, PermissionService } from './permissions.js';

export interface GuardResult {
  decision: AccessDecision;
  auditId: number;
}

export function createAccessGuard(deps: { permissions: PermissionService; audit: AuditTrail }) {
  return {
    /** Decides and records. `params` is what was asked, as the audit log should show it (redacted there too). */
    async check(request: AccessRequest, params: Record<string, unknown> = {}): Promise<GuardResult> {
      const decision = await deps.permissions.check(request);
      const auditId = deps.audit.recordDecision({
        actor: request.actor,
        channelId: request.channelId,
        action: request.action,
        params,
        decision,
      });
      return { decision, auditId };
    },
  };
}

export type AccessGuard = ReturnType<typeof createAccessGuard>;
