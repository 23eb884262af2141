/**
 * The `approval` step a restore, deletion or schedule change passes before its first step that changes anything, when a
 * policy rule asks for approval. The runner takes it like any other step: it asks the approvers and tells the requester once,
 * shows each new decision in the request's thread, and moves on when the approvals are in, or ends the request
 * (denied, or expired: the wake time is the expiry). All of it is in SQLite, so a restart carries on where it was.
 */
import type { Logger } from 'pino';
import type { ApprovalDecision, ApprovalRecord, ApprovalState } from '../../db/approvals.js';
import type { Repositories } from '../../db/index.js';
import { CANCELLED } from '../pipeline/cancel.js';
import type { Clock, MessageRef } from '../pipeline/ports.js';
import type { Step } from '../pipeline/runner.js';
import type { ScheduleSpec } from '../schedules/spec.js';

/** What an approver is asked about, as the kind describes its request. */
export interface ApprovalSubject {
  requestId: string;
  kind: 'restore' | 'delete' | 'schedule';
  requesterId: string;
  channelId: string;
  /** The backups restored from or deleted (none for a schedule). */
  backups: { backupFileId: string; name?: string | undefined; createdAt?: number | undefined; apps: string[] }[];
  /** The instances changed (restore targets), the deleted backups' source instances, or a schedule's targets' now. */
  instanceIds: string[];
  /** A schedule created or changed with retention: the schedule as saved, and whose it is. */
  schedule?: { name: string; ownerId: string; spec: ScheduleSpec; change: 'create' | 'change' } | undefined;
  simulated: boolean;
}

export interface ApprovalView {
  subject: ApprovalSubject;
  approval: ApprovalRecord;
}

/** Tells people about an approval; rendering lives behind it, in the Slack layer. */
export interface ApprovalNotifier {
  /** Asks the approvers (the rule's channel, or a DM to each approver); returns the messages posted. */
  ask(view: ApprovalView): Promise<MessageRef[]>;
  /** Tells the requester the request waits: a reply under `parent`, or a message in the request's channel. */
  waiting(view: ApprovalView, parent: MessageRef | undefined): Promise<MessageRef>;
  /** One approver's decision, under the request's thread. */
  decision(view: ApprovalView, parent: MessageRef, decision: ApprovalDecision): Promise<void>;
  /** Replaces an ask's buttons with the outcome. */
  close(view: ApprovalView, ask: MessageRef): Promise<void>;
}

export type ApprovalEnd = Exclude<ApprovalState, 'waiting' | 'approved'>;

export function createApprovalStep(deps: {
  repos: Repositories;
  notifier: ApprovalNotifier;
  clock: Clock;
  logger: Logger;
  /** How long before a failed Slack post is tried again. */
  retryMs: number;
  subject(id: string): ApprovalSubject;
  /** The step after the approvals are in. */
  next(id: string): string;
  /** The request's status once approved (what it was before it waited). */
  resumeStatus: string;
  /** Ends a denied or expired request without changing anything (final status, report queued). */
  end(id: string, state: ApprovalEnd, approval: ApprovalRecord): void;
}): Step {
  const { repos, notifier, clock, logger } = deps;
  const { approvals, requests } = repos;

  function view(id: string): ApprovalView {
    const approval = approvals.get(id);
    if (!approval) throw new Error(`approval of ${id} vanished`);
    return { subject: deps.subject(id), approval };
  }

  /** Decides the wait from the decisions recorded so far; returns the state after. */
  function settle(approval: ApprovalRecord): ApprovalState {
    if (approval.state !== 'waiting') return approval.state;
    const approvedBy = approval.decisions.filter((d) => d.decision === 'approve').length;
    const denied = approval.decisions.some((d) => d.decision === 'deny');
    const state: ApprovalState | undefined = denied
      ? 'denied'
      : approvedBy >= approval.required
        ? 'approved'
        : clock.now() >= approval.expiresAt
          ? 'expired'
          : undefined;
    if (state) approvals.settle(approval.requestId, state, clock.now());
    return approvals.get(approval.requestId)?.state ?? state ?? 'waiting';
  }

  /** Cancelled while it waits (pipeline/cancel.ts): the wait ends as `cancelled`, like a denial. */
  function endIfCancelled(id: string): void {
    if (requests.header(id)?.cancelled && approvals.get(id)?.state === 'waiting') {
      approvals.settle(id, 'cancelled', clock.now());
    }
  }

  return async (id) => {
    // Before anyone else is asked, and again before settling: a cancel may arrive while the asks are being posted.
    endIfCancelled(id);
    let current = view(id);
    try {
      // Once: the requester learns it waits, the approvers are asked. Recorded after posting, so a crash in between
      // asks again rather than never.
      if (current.approval.waitingPostedAt === undefined && current.approval.state === 'waiting') {
        requests.setStatus(id, 'awaiting-approval', clock.now());
        const parent = requests.header(id)?.parent;
        const waiting = await notifier.waiting(current, parent);
        if (!parent) requests.setParent(id, waiting.channel, waiting.ts, clock.now());
        const asks = await notifier.ask(current);
        approvals.setAsks(id, asks, clock.now());
        current = view(id);
      }
      const parent = requests.header(id)?.parent;
      for (const decision of current.approval.decisions.filter((d) => d.shownAt === undefined)) {
        if (parent) await notifier.decision(current, parent, decision);
        approvals.markShown(id, decision.userId, clock.now());
      }
    } catch (error) {
      logger.warn({ requestId: id, err: error }, 'could not post about an approval; retrying');
      const retryAt = Math.min(clock.now() + deps.retryMs, current.approval.expiresAt);
      // Slack being down must not hold a decided or expired request: fall through to settle when it is due.
      if (current.approval.state === 'waiting' && clock.now() < current.approval.expiresAt) {
        const pending = current.approval.decisions.length === 0;
        if (pending) return requests.wakeAt(id, retryAt, clock.now());
      }
    }

    endIfCancelled(id);
    const state = settle(current.approval);
    if (state === 'waiting') return requests.wakeAt(id, current.approval.expiresAt, clock.now());
    const settled = view(id);
    for (const ask of settled.approval.asks ?? []) {
      await notifier.close(settled, ask).catch((error: unknown) => {
        logger.warn({ requestId: id, err: error }, 'could not update an approval request message');
      });
    }
    if (state === 'approved') {
      requests.setStatus(id, deps.resumeStatus, clock.now());
      requests.setStep(id, deps.next(id), clock.now(), clock.now());
      return;
    }
    deps.end(id, state, settled.approval);
  };
}

/**
 * Why a request was not approved, as its targets or outcome record it: the denial with its reason, the expiry, or (a
 * schedule's) a newer change.
 */
export function notApprovedReason(
  state: ApprovalEnd,
  approval: ApprovalRecord,
): { errorCode: string; errorMessage: string } {
  if (state === 'denied') {
    const denial = approval.decisions.find((decision) => decision.decision === 'deny');
    return {
      errorCode: 'ApprovalDenied',
      // Plain text (it is escaped wherever it is shown); the thread's decision note mentions the approver.
      errorMessage: `denied by approver ${denial?.userId ?? 'unknown'}: ${denial?.reason ?? 'no reason given'}`,
    };
  }
  if (state === 'cancelled') {
    return {
      errorCode: CANCELLED,
      errorMessage: 'cancelled while it waited for approval; nothing was sent to the cloud',
    };
  }
  if (state === 'superseded') {
    return {
      errorCode: 'ApprovalSuperseded',
      errorMessage: 'a newer change (or the deletion) of the schedule replaced it before it was decided',
    };
  }
  return {
    errorCode: 'ApprovalExpired',
    errorMessage: `nobody approved it within ${Math.round(approval.expiresMs / 60_000)} minutes (rule ${approval.rule})`,
  };
}
