/**
 * A deletion's steps, as the runner takes them: `send` (DeleteBackupFile), then the runner's report (the result
 * message, once). The call is recorded in the ledger before it is made; a deletion that finds its call there without
 * an answer (the bot stopped mid-call, or the answer was lost) looks the files up and never sends it again.
 */

import type { ApprovalRecord } from '../../db/approvals.js';
import type { DeleteOutcome, DeleteRecord } from '../../db/delete-requests.js';
import type { Repositories } from '../../db/index.js';
import type { AuditTrail } from '../access/audit.js';
import { type ApprovalSubject, notApprovedReason } from '../approval/step.js';
import type { CloudFailure } from '../backup/model.js';
import type { CatalogService } from '../catalog/service.js';
import { failedCall, failureOf } from '../pipeline/cloud-failure.js';
import type { Clock, CloudPhone, RequestNotifier } from '../pipeline/ports.js';
import { type KindSteps, kindSteps, type Step } from '../pipeline/runner.js';
import { deletableFiles } from './service.js';

const CALL = 'DeleteBackupFile';

export function deleteSteps(deps: {
  repos: Repositories;
  cloud: Pick<CloudPhone, 'deleteBackupFiles'>;
  catalog: Pick<CatalogService, 'lookup'>;
  audit: AuditTrail;
  notifier: Pick<RequestNotifier<DeleteRecord>, 'complete'>;
  clock: Clock;
  /** The approval step (services/approval/step.ts), made with `deleteApprovalSubject` and `deleteNotApproved`. */
  approval?: Step | undefined;
}): KindSteps<never> {
  const { repos, cloud, catalog, audit, clock } = deps;
  const { calls, deletions } = repos;

  /** Looks the files up after an unknown outcome: gone or DELETING means deleted. */
  async function reconcile(record: DeleteRecord, cause?: CloudFailure): Promise<DeleteOutcome> {
    const ids = deletableFiles(record).map((file) => file.backupFileId);
    let remaining: string[];
    try {
      const { found, cloudError } = await catalog.lookup(ids);
      if (cloudError) throw new Error(cloudError.code);
      remaining = ids.filter((id) => {
        const entry = found.get(id);
        return entry !== undefined && entry.status !== 'DELETING';
      });
    } catch {
      return {
        status: 'unknown',
        errorCode: cause?.code ?? 'OutcomeUnknown',
        errorMessage:
          'the bot could not tell whether DeleteBackupFile reached the cloud and could not look the backups up; it did not send it again. Check `/cloudphone backups` before retrying.',
      };
    }
    return remaining.length === 0
      ? { status: 'deleted', cloudRequestId: cause?.requestId, errorCode: cause?.code }
      : {
          status: 'unknown',
          errorCode: cause?.code ?? 'OutcomeUnknown',
          errorMessage: `the bot could not tell whether DeleteBackupFile reached the cloud, and ${remaining.join(', ')} ${remaining.length === 1 ? 'is' : 'are'} still there; it did not send it again`,
        };
  }

  /** The outcome of the call this deletion already made, or undefined when it made none. */
  async function earlierOutcome(record: DeleteRecord): Promise<DeleteOutcome | undefined> {
    const last = calls.list(record.id, CALL).at(-1);
    if (!last) return undefined;
    if (last.status === 'accepted') return { status: 'deleted', cloudRequestId: last.cloudRequestId };
    if (last.status === 'failed') {
      return {
        status: 'failed',
        cloudRequestId: last.cloudRequestId,
        errorCode: last.errorCode,
        errorMessage: last.errorMessage,
      };
    }
    // 'sent' (the bot stopped mid-call) or 'unknown': it may have taken effect.
    const cause = last.errorCode
      ? { code: last.errorCode, message: last.errorMessage ?? '', requestId: last.cloudRequestId }
      : undefined;
    const outcome = await reconcile(record, cause);
    calls.settle(last.id, { status: 'reconciled', errorCode: outcome.errorCode }, clock.now());
    return outcome;
  }

  /** Sends DeleteBackupFile once, and records the answer with the call in one transaction. */
  async function sendOnce(record: DeleteRecord, ids: string[]): Promise<DeleteOutcome> {
    const callId = calls.begin(record.id, CALL, ids, clock.now());
    try {
      const answer = await cloud.deleteBackupFiles(ids);
      calls.settle(callId, { status: 'accepted', cloudRequestId: answer.requestId }, clock.now());
      return { status: 'deleted', cloudRequestId: answer.requestId };
    } catch (error) {
      const failure = failureOf(error);
      if (failure.outcomeUnknown) {
        calls.settle(callId, failedCall(failure), clock.now());
        return reconcile(record, failure);
      }
      const outcome: DeleteOutcome = {
        status: 'failed',
        cloudRequestId: failure.requestId,
        errorCode: failure.code,
        errorMessage: failure.message,
      };
      calls.settle(callId, failedCall(failure), clock.now());
      return outcome;
    }
  }

  async function send(id: string): Promise<void> {
    const record = deletions.get(id);
    if (!record) throw new Error(`deletion ${id} vanished`);
    const ids = deletableFiles(record).map((file) => file.backupFileId);
    const outcome = (await earlierOutcome(record)) ?? (await sendOnce(record, ids));
    repos.db.transaction(() => {
      deletions.settle(id, outcome, clock.now());
      audit.recordOutcome(id, {
        status: outcome.status,
        backupFileIds: ids,
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

  const steps: KindSteps<DeleteRecord> = {
    steps: { ...(deps.approval ? { approval: deps.approval } : {}), send },
    view: (id) => deletions.get(id),
    notifier: deps.notifier,
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
}): (id: string, state: 'denied' | 'expired', approval: ApprovalRecord) => void {
  return (id, state, approval) => {
    const { errorCode, errorMessage } = notApprovedReason(state, approval);
    deps.repos.db.transaction(() => {
      deps.repos.deletions.settle(id, { status: state, errorCode, errorMessage }, deps.clock.now());
      deps.audit.recordOutcome(id, { status: state, errors: [{ code: errorCode, message: errorMessage }] });
    })();
  };
}
