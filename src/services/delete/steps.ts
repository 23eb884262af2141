/**
 * A deletion's steps, as the runner takes them: `send` (DeleteBackupFile), then the runner's report (the result
 * message, once). The call is recorded in the ledger before it is made and resolved by the mutating-call policy
 * (pipeline/mutating-call.ts): a refusal that says the cloud did nothing is sent again after a back-off; an unclear
 * answer, or a call left unanswered by a crash, is resolved by looking the files up, and sent again only for files
 * still there (the catalog shows a deletion the moment the cloud takes it).
 */

import type { ApprovalRecord } from '../../db/approvals.js';
import type { CallStatus } from '../../db/cloud-calls.js';
import type { DeleteOutcome, DeleteRecord } from '../../db/delete-requests.js';
import type { Repositories } from '../../db/index.js';
import type { AuditTrail } from '../access/audit.js';
import { type ApprovalEnd, type ApprovalSubject, notApprovedReason } from '../approval/step.js';
import type { CatalogService } from '../catalog/service.js';
import { CANCELLED, type CancelTerms } from '../pipeline/cancel.js';
import {
  decide,
  type Effect,
  historyOfCalls,
  needsLook,
  type PolicySettings,
  recordedFailure,
} from '../pipeline/mutating-call.js';
import type { Clock, CloudPhone, RequestNotifier } from '../pipeline/ports.js';
import { type KindSteps, kindSteps, type Step } from '../pipeline/runner.js';
import { deletableFiles, deleteTargets } from './service.js';

const CALL = 'DeleteBackupFile';

/** A DeleteBackupFile the cloud may have taken: answered yes, or no answer the bot could read. */
const mayHaveActed = (call: { status: CallStatus }): boolean =>
  call.status === 'sent' || call.status === 'accepted' || call.status === 'unknown';

export function deleteSteps(deps: {
  repos: Repositories;
  cloud: Pick<CloudPhone, 'deleteBackupFiles'>;
  catalog: Pick<CatalogService, 'lookup'>;
  audit: AuditTrail;
  notifier: Pick<RequestNotifier<DeleteRecord>, 'complete'>;
  clock: Clock;
  /** How DeleteBackupFile's refusals and unclear answers are retried (pipeline/mutating-call.ts). */
  retry: Pick<PolicySettings, 'retryWindowMs' | 'backoffMs' | 'maxBackoffMs'>;
  /** The approval step (services/approval/step.ts), made with `deleteApprovalSubject` and `deleteNotApproved`. */
  approval?: Step | undefined;
  /** A scheduled run's retention deletion: no result message of its own (the run's thread lists what went). */
  quiet?: ((id: string) => boolean) | undefined;
}): KindSteps<never> {
  const { repos, cloud, catalog, audit, clock } = deps;
  const { calls, deletions, requests } = repos;
  const policy: PolicySettings = {
    ...deps.retry,
    // The catalog shows a deletion (DELETING, then gone) as soon as the cloud took it: a look is exact at once.
    settleMs: 0,
    maxIneffective: 1,
    windowOpensAt: clock.now(),
  };

  /** Which of these backups are still there and not being deleted; undefined when the catalog cannot say. */
  async function stillThere(ids: readonly string[]): Promise<string[] | undefined> {
    try {
      const { found, cloudError } = await catalog.lookup([...ids]);
      if (cloudError) return undefined;
      return ids.filter((id) => {
        const entry = found.get(id);
        return entry !== undefined && entry.status !== 'DELETING';
      });
    } catch {
      return undefined;
    }
  }

  /** Records the outcome and the audit entry's outcome together; the runner then posts the result. */
  function settle(id: string, ids: readonly string[], outcome: DeleteOutcome): void {
    repos.db.transaction(() => {
      deletions.settle(id, outcome, clock.now());
      audit.recordOutcome(id, {
        status: outcome.status,
        backupFileIds: [...ids],
        ...(outcome.errorCode
          ? {
              errors: [
                { code: outcome.errorCode, message: outcome.errorMessage ?? '', requestId: outcome.cloudRequestId },
              ],
            }
          : {}),
      });
    })();
  }

  /** Sends DeleteBackupFile once, recorded before it is made; a failure is settled as the policy reads it. */
  async function sendOnce(id: string, allIds: readonly string[], ids: string[]): Promise<void> {
    const callId = calls.begin(id, CALL, ids, clock.now());
    try {
      const answer = await cloud.deleteBackupFiles(ids);
      calls.settle(callId, { status: 'accepted', cloudRequestId: answer.requestId }, clock.now());
      settle(id, allIds, { status: 'deleted', cloudRequestId: answer.requestId });
    } catch (error) {
      calls.settle(callId, recordedFailure(error), clock.now());
      // The policy decides the next move when the step runs again (a back-off, or a look first).
      requests.wakeAt(id, clock.now(), clock.now());
    }
  }

  /** Ends a cancelled deletion; `remaining` are the files still there (fewer when an earlier call took some). */
  function settleCancelled(id: string, allIds: readonly string[], remaining: readonly string[]): void {
    const taken = allIds.length - remaining.length;
    settle(id, allIds, {
      status: 'cancelled',
      errorCode: CANCELLED,
      errorMessage:
        taken === 0
          ? 'cancelled before the deletion was sent to the cloud'
          : `cancelled; an earlier try had already deleted ${taken} of the ${allIds.length}`,
    });
  }

  async function send(id: string): Promise<void> {
    const record = deletions.get(id);
    if (!record) throw new Error(`deletion ${id} vanished`);
    const allIds = deletableFiles(record).map((file) => file.backupFileId);
    const made = calls.list(id, CALL);
    // Cancelled while no call may have acted (none sent, or each refused before acting): nothing is sent now.
    if (record.cancelled && !made.some(mayHaveActed)) return settleCancelled(id, allIds, allIds);
    const last = made.at(-1);
    if (last?.status === 'accepted')
      return settle(id, allIds, { status: 'deleted', cloudRequestId: last.cloudRequestId });
    const history = historyOfCalls(made);
    let ids = allIds;
    let effect: Effect | undefined;
    if (needsLook(history)) {
      const remaining = await stillThere(ids);
      effect = remaining === undefined ? 'unknown' : remaining.length === 0 ? 'taken' : 'not-taken';
      if (remaining && remaining.length > 0) ids = remaining;
    }
    const move = decide({ history, effect, now: clock.now(), settings: policy });
    const cause = { code: last?.errorCode ?? 'OutcomeUnknown', message: last?.errorMessage ?? 'no answer' };
    switch (move.kind) {
      case 'send':
        // Cancelled: a call that may have acted is only looked into, never sent again.
        if (record.cancelled) return settleCancelled(id, allIds, ids);
        return sendOnce(id, allIds, ids);
      case 'wait':
        return void requests.wakeAt(id, move.at, clock.now());
      case 'done':
        return settle(id, allIds, {
          status: 'deleted',
          cloudRequestId: last?.cloudRequestId,
          errorCode: last?.errorCode,
        });
      case 'give-up':
        return settle(
          id,
          allIds,
          move.why === 'lasting'
            ? {
                status: 'failed',
                cloudRequestId: last?.cloudRequestId,
                errorCode: cause.code,
                errorMessage: cause.message,
              }
            : {
                status: 'unknown',
                errorCode: cause.code,
                errorMessage:
                  effect === 'not-taken' || effect === undefined
                    ? `the cloud kept refusing DeleteBackupFile (${cause.message}); ${ids.join(', ')} ${ids.length === 1 ? 'is' : 'are'} still there`
                    : 'the bot could not tell whether DeleteBackupFile reached the cloud and could not look the backups up. Check `/cloudphone backups` before retrying.',
              },
        );
    }
  }

  const steps: KindSteps<DeleteRecord> = {
    steps: { ...(deps.approval ? { approval: deps.approval } : {}), send },
    view: (id) => deletions.get(id),
    notifier: deps.notifier,
    ...(deps.quiet ? { quiet: deps.quiet } : {}),
  };
  return kindSteps(steps);
}

/** What the approvers of a deletion are shown: the backups, and the instances they were made from. */
export function deleteApprovalSubject(repos: Repositories, id: string): ApprovalSubject {
  const record = repos.deletions.get(id);
  if (!record) throw new Error(`deletion ${id} vanished`);
  const files = deletableFiles(record);
  return {
    requestId: id,
    kind: 'delete',
    requesterId: record.actor.userId,
    channelId: record.channelId,
    backups: files.map((file) => ({ backupFileId: file.backupFileId, name: file.name, apps: file.apps })),
    instanceIds: [...new Set(files.flatMap((file) => (file.sourceInstanceId ? [file.sourceInstanceId] : [])))],
    simulated: record.simulated,
  };
}

/** Ends a deletion whose approval was denied or ran out: nothing is sent, the outcome says why. */
export function deleteNotApproved(deps: {
  repos: Repositories;
  audit: AuditTrail;
  clock: Clock;
}): (id: string, state: Exclude<ApprovalEnd, 'superseded'>, approval: ApprovalRecord) => void {
  return (id, state, approval) => {
    const { errorCode, errorMessage } = notApprovedReason(state, approval);
    deps.repos.db.transaction(() => {
      deps.repos.deletions.settle(id, { status: state, errorCode, errorMessage }, deps.clock.now());
      deps.audit.recordOutcome(id, { status: state, errors: [{ code: errorCode, message: errorMessage }] });
    })();
  };
}

/**
 * Cancel for a deletion: it needs the delete permission for its files, as confirming did. Once DeleteBackupFile went
 * out the cloud may have taken it, so only a deletion nothing was sent for is stopped.
 */
export function deleteCancelTerms(repos: Repositories): CancelTerms {
  return {
    access(id) {
      const record = repos.deletions.get(id);
      return record && { action: 'delete', targets: deleteTargets(deletableFiles(record)) };
    },
    tally(id) {
      const record = repos.deletions.get(id);
      const files = record ? deletableFiles(record).length : 0;
      const sent = repos.calls.list(id, CALL).some(mayHaveActed);
      return { notSent: sent ? 0 : files, inCloud: sent ? files : 0 };
    },
  };
}
