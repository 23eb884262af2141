/**
 * Cancel, one way for every kind on the pipeline (issue 16). Pressing Cancel checks the person's permission for what
 * the request acts on, records who cancelled (a column of the shared request table) and wakes the request. Nothing
 * is called back here: each kind, at its next step, skips what it has not sent to the cloud, and the approval step
 * ends a request still waiting for approval. What the cloud already has finishes on its own, and the answer says so.
 */
import type { Repositories } from '../../db/index.js';
import type { RequestKind } from '../../db/requests.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard } from '../access/guard.js';
import type { AccessDenial, AccessRequest } from '../access/permissions.js';
import type { Actor, Cancellation } from '../backup/model.js';
import type { Clock } from './ports.js';
import type { Runner } from './runner.js';

/** The (bot's own) code every kind gives what a cancel left out. */
export const CANCELLED = 'Cancelled';

/** How far a request had got when it was cancelled. */
export interface CancelTally {
  /** Items (instances, targets, backup files) not yet sent to the cloud: they are skipped. */
  notSent: number;
  /** Items the cloud already has: they cannot be called back and finish on their own. */
  inCloud: number;
}

/** What Cancel means for one kind. */
export interface CancelTerms {
  /** What the person must be allowed to do to cancel it: the same check that let the request be made. */
  access(id: string): Omit<AccessRequest, 'actor' | 'channelId'> | undefined;
  /** Counted when the cancel is recorded, for the answer. */
  tally(id: string): CancelTally;
}

/** The kinds a person can cancel (a schedule's change waiting for approval is withdrawn by changing the schedule). */
export type CancellableKind = Extract<RequestKind, 'backup' | 'restore' | 'delete' | 'schedule-run'>;

export type CancelResult =
  | ({ ok: true; kind: CancellableKind; awaitingApproval: boolean } & CancelTally)
  | { ok: false; reason: 'not-found' | 'finished' | 'not-cancellable' }
  | { ok: false; reason: 'already-cancelled'; by: Cancellation }
  | { ok: false; reason: 'denied'; denial: AccessDenial };

export function createCanceller(deps: {
  repos: Repositories;
  guard: AccessGuard;
  audit: AuditTrail;
  runner: Pick<Runner, 'kick'>;
  clock: Clock;
  terms: Partial<Record<CancellableKind, CancelTerms>>;
}) {
  const { repos, guard, audit, runner, clock } = deps;
  const cancellable = (kind: RequestKind): kind is CancellableKind => kind in deps.terms;
  return {
    async cancel(input: { actor: Actor; channelId: string; requestId: string }): Promise<CancelResult> {
      const header = repos.requests.header(input.requestId);
      if (!header || header.step === 'draft') return { ok: false, reason: 'not-found' };
      const { kind } = header;
      const terms = cancellable(kind) ? deps.terms[kind] : undefined;
      const access = terms?.access(header.id);
      if (!cancellable(kind) || !terms || !access) return { ok: false, reason: 'not-cancellable' };
      const { decision, auditId } = await guard.check(
        { ...access, actor: input.actor, channelId: input.channelId },
        { step: 'cancel', requestId: header.id, kind: header.kind },
      );
      if (!decision.allowed) return { ok: false, reason: 'denied', denial: decision };
      // Counted and recorded together, after the check (which may have waited while the runner moved on).
      const now = clock.now();
      const outcome = repos.db.transaction(() => {
        const before = repos.requests.header(header.id);
        const tally = terms.tally(header.id);
        const awaitingApproval = before?.step === 'approval';
        const recorded = repos.requests.cancel(header.id, input.actor.userId, now);
        return { recorded, before, tally, awaitingApproval };
      })();
      if (!outcome.recorded) {
        // Not recorded: its work had ended (whether or not someone cancelled it first), or someone cancelled it first.
        const ended = !outcome.before || outcome.before.step === 'report' || outcome.before.step === 'done';
        const earlier = outcome.before?.cancelled;
        audit.recordOutcome(auditId, { status: 'refused', reason: ended ? 'already finished' : 'already cancelled' });
        return ended || !earlier
          ? { ok: false, reason: 'finished' }
          : { ok: false, reason: 'already-cancelled', by: earlier };
      }
      runner.kick();
      audit.recordOutcome(auditId, { status: 'cancelled', requestId: header.id, ...outcome.tally });
      return { ok: true, kind, awaitingApproval: outcome.awaitingApproval, ...outcome.tally };
    },
  };
}

export type Canceller = ReturnType<typeof createCanceller>;
