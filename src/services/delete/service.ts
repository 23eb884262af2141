/**
 * Deleting backup files (DeleteBackupFile), guarded: its own permission, a confirmation that lists what goes, and for
 * a backup no restore was ever verified from, a second, explicit confirmation. The plan is recorded when the
 * confirmation is shown; the final confirmation marks it 'sent' before the ack; the call runs after the ack and an
 * unknown outcome is looked up, never sent again.
 */
import { randomBytes } from 'node:crypto';
import type { DeleteFile, DeleteRecord } from '../../db/delete-requests.js';
import type { Repositories } from '../../db/index.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard, GuardResult } from '../access/guard.js';
import type { AccessTarget } from '../access/permissions.js';
import type { Actor, CloudFailure } from '../backup/model.js';
import { failureOf } from '../backup/workflow.js';
import type { CatalogService } from '../catalog/service.js';
import {
  afterAnswer,
  afterSend,
  classifyFailure,
  decide,
  type Effect,
  NO_HISTORY,
  type PolicySettings,
} from '../pipeline/mutating-call.js';
import type { Clock } from '../pipeline/ports.js';
import type { RestoreCloud } from '../restore/ports.js';

/** Statuses DeleteBackupFile accepts (§4.2; a file being backed up or restored from is refused by the service). */
export const DELETABLE_STATUSES: ReadonlySet<string> = new Set([
  'AVAILABLE',
  'BACKUP_FAILED',
  'RECOVERY_FAILED',
  'PART_BACKUP_FINISHED',
]);

/** A deletion left 'sent' this long is looked up by the sweep (the bot stopped between the record and the answer). */
export const STALE_DELETE_MS = 5 * 60_000;

export function newDeleteId(): string {
  return `del-${randomBytes(6).toString('hex')}`;
}

export type DeletePlanResult = { ok: true; plan: DeleteRecord } | { ok: false; failure: CloudFailure };

export type DeleteConfirmResult =
  | { ok: true; record: DeleteRecord; auditId: number; created: boolean }
  | {
      ok: false;
      reason: 'not-found' | 'not-yours' | 'denied' | 'nothing-to-delete' | 'needs-second-confirmation';
      message?: string | undefined;
    };

/** The files of a plan that would be deleted (not refused). */
export function deletableFiles(plan: Pick<DeleteRecord, 'files'>): DeleteFile[] {
  return plan.files.filter((file) => !file.refused);
}

/** Deletable files no restore was ever verified from: they need the second confirmation. */
export function unverifiedFiles(plan: Pick<DeleteRecord, 'files'>): DeleteFile[] {
  return deletableFiles(plan).filter((file) => !file.verifiedBy);
}

/** A deletion is answered while a person waits for it: a shorter window than the background flows'. */
const DEFAULT_DELETE_RETRY: PolicySettings = {
  retryWindowMs: 60_000,
  backoffMs: 1_000,
  maxBackoffMs: 10_000,
  // The catalog shows a deletion (DELETING, then gone) as soon as the cloud took it.
  settleMs: 0,
  maxIneffective: 1,
};

export function createDeleteService(deps: {
  repos: Repositories;
  guard: AccessGuard;
  audit: AuditTrail;
  catalog: CatalogService;
  cloud: Pick<RestoreCloud, 'deleteBackupFiles' | 'describeBackupFiles'>;
  clock: Clock;
  /** How refusals and unclear answers of DeleteBackupFile are resolved (services/pipeline/mutating-call.ts). */
  retry?: Partial<PolicySettings>;
  /** Waits between attempts (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}) {
  const { repos, guard, audit, catalog, cloud, clock } = deps;
  const policy: PolicySettings = { ...DEFAULT_DELETE_RETRY, ...deps.retry };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** Which of these backups are still there and not being deleted; undefined when the catalog cannot say. */
  async function stillThere(ids: readonly string[]): Promise<string[] | undefined> {
    try {
      const { found, cloudError } = await catalog.lookup(ids);
      if (cloudError) return undefined;
      return ids.filter((id) => {
        const entry = found.get(id);
        return entry !== undefined && entry.status !== 'DELETING';
      });
    } catch {
      return undefined;
    }
  }

  /**
   * Sends DeleteBackupFile until it is done, through the mutating-call policy: a refusal that says the cloud did
   * nothing is sent again after a back-off; an unclear answer is resolved by looking the backups up, and only those
   * still there are sent again. Ends with the deletion settled.
   */
  async function deleteUntilSettled(record: DeleteRecord): Promise<void> {
    let ids = deletableFiles(record).map((file) => file.backupFileId);
    let history = NO_HISTORY;
    let failure: CloudFailure | undefined;
    for (;;) {
      history = afterSend(history, clock.now());
      try {
        const answer = await cloud.deleteBackupFiles(ids);
        repos.deletions.settle(record.id, { status: 'deleted', cloudRequestId: answer.requestId }, clock.now());
        return;
      } catch (error) {
        failure = failureOf(error);
        const kind = classifyFailure(error);
        history = afterAnswer(history, kind, clock.now());
        let effect: Effect | undefined;
        if (kind !== 'not-acted') {
          const remaining = await stillThere(ids);
          effect = remaining === undefined ? 'unknown' : remaining.length === 0 ? 'taken' : 'not-taken';
          if (remaining && remaining.length > 0) ids = remaining;
        }
        for (;;) {
          const move = decide({ history, effect, now: clock.now(), settings: policy });
          if (move.kind === 'send') break;
          if (move.kind === 'done') {
            repos.deletions.settle(
              record.id,
              { status: 'deleted', cloudRequestId: failure.requestId, errorCode: failure.code },
              clock.now(),
            );
            return;
          }
          if (move.kind === 'give-up') {
            repos.deletions.settle(
              record.id,
              kind === 'lasting' && effect === 'not-taken'
                ? {
                    status: 'failed',
                    cloudRequestId: failure.requestId,
                    errorCode: failure.code,
                    errorMessage: failure.message,
                  }
                : {
                    status: 'unknown',
                    errorCode: failure.code,
                    errorMessage:
                      effect === 'not-taken' || effect === undefined
                        ? `the cloud kept refusing DeleteBackupFile (${failure.message}); ${ids.join(', ')} ${ids.length === 1 ? 'is' : 'are'} still there`
                        : 'the bot could not tell whether DeleteBackupFile reached the cloud and could not look the backups up. Check `/cloudphone backups` before retrying.',
                  },
              clock.now(),
            );
            return;
          }
          await sleep(Math.max(0, move.at - clock.now()));
          if (effect !== undefined) {
            // Look again: the answer may have been lost while the deletion went through.
            const remaining = await stillThere(ids);
            effect = remaining === undefined ? 'unknown' : remaining.length === 0 ? 'taken' : 'not-taken';
            if (remaining && remaining.length > 0) ids = remaining;
          }
        }
      }
    }
  }

  /** The files as the policy sees them: each one's source instance and location must be in the person's scope. */
  function targetsOf(files: readonly DeleteFile[]): AccessTarget[] {
    return files.map((file) => ({ label: file.backupFileId, instanceId: file.sourceInstanceId, path: file.path }));
  }

  /** Files outside the person's scope are refused in the plan and shown without their name, apps or size. */
  async function refuseOutOfScope(actor: Actor, channelId: string, files: DeleteFile[]): Promise<DeleteFile[]> {
    const inScope = await guard.visible(
      actor,
      'delete',
      channelId,
      files.map((file) => ({ instanceId: file.sourceInstanceId, path: file.path })),
    );
    return files.map((file, index) => {
      if (inScope[index] || file.status === 'NOT_FOUND') return file;
      const unknown = !file.sourceInstanceId || !file.path;
      return {
        backupFileId: file.backupFileId,
        apps: [],
        status: file.status,
        refused: unknown
          ? {
              code: 'SourceUnknown',
              message:
                'the cloud does not say which instance it was made from or where it is stored, so only an admin may delete it',
            }
          : { code: 'OutsideYourScope', message: 'its instance or location is outside what your roles may delete' },
      };
    });
  }

  /** Looks the files up after an unknown outcome: gone or DELETING means deleted. */
  async function reconcile(record: DeleteRecord, cause?: CloudFailure): Promise<DeleteRecord> {
    const remaining = await stillThere(deletableFiles(record).map((file) => file.backupFileId));
    if (remaining === undefined) {
      repos.deletions.settle(
        record.id,
        {
          status: 'unknown',
          errorCode: cause?.code ?? 'OutcomeUnknown',
          errorMessage:
            'the bot could not tell whether DeleteBackupFile reached the cloud and could not look the backups up; it did not send it again. Check `/cloudphone backups` before retrying.',
        },
        clock.now(),
      );
      return repos.deletions.get(record.id) ?? record;
    }
    repos.deletions.settle(
      record.id,
      remaining.length === 0
        ? { status: 'deleted', cloudRequestId: cause?.requestId, errorCode: cause?.code }
        : {
            status: 'unknown',
            errorCode: cause?.code ?? 'OutcomeUnknown',
            errorMessage: `the bot could not tell whether DeleteBackupFile reached the cloud, and ${remaining.join(', ')} ${remaining.length === 1 ? 'is' : 'are'} still there; it did not send it again`,
          },
      clock.now(),
    );
    return repos.deletions.get(record.id) ?? record;
  }

  return {
    /** May this person delete backups here? Recorded in the audit log. */
    authorizeOpen(actor: Actor, channelId: string, backupFileIds: readonly string[]): Promise<GuardResult> {
      return guard.check({ actor, action: 'delete', channelId }, { step: 'open confirmation', backupFileIds });
    },

    /**
     * Looks each file up (cloud and the bot's records), notes which were ever verified by a restore and which cannot
     * be deleted (not found, busy, a restore from it running), and records the plan. Asks the cloud: after the ack.
     */
    async plan(input: {
      actor: Actor;
      channelId: string;
      backupFileIds: readonly string[];
      planKey: string;
      /** The audit entry of the check that opened the confirmation: it gets what was shown. */
      auditId?: number | undefined;
    }): Promise<DeletePlanResult> {
      const { found, cloudError } = await catalog.lookup(input.backupFileIds);
      if (cloudError) {
        if (input.auditId !== undefined) audit.recordOutcome(input.auditId, { status: 'failed', errors: [cloudError] });
        return { ok: false, failure: cloudError };
      }
      const looked = [...new Set(input.backupFileIds)].map((id): DeleteFile => {
        const entry = found.get(id);
        if (!entry) {
          return {
            backupFileId: id,
            apps: [],
            status: 'NOT_FOUND',
            refused: { code: 'BackupNotFound', message: 'the cloud lists no backup file with this id' },
          };
        }
        const file: DeleteFile = {
          backupFileId: id,
          name: entry.name,
          sourceInstanceId: entry.sourceInstanceId,
          path: entry.path,
          apps: entry.apps,
          sizeBytes: entry.sizeBytes,
          status: entry.status,
          verifiedBy: entry.verification
            ? {
                userId: entry.verification.userId,
                at: entry.verification.at.getTime(),
                restoreRequestId: entry.verification.restoreRequestId,
              }
            : undefined,
        };
        const restoring = repos.restores.inFlightForFile(id);
        if (restoring.length > 0) {
          file.refused = {
            code: 'RestoreInProgress',
            message: `a restore from it is running (${restoring.join(', ')}); delete it after that finishes`,
          };
        } else if (entry.status === 'DELETING') {
          file.refused = { code: 'AlreadyDeleting', message: 'it is being deleted already' };
        } else if (!DELETABLE_STATUSES.has(entry.status)) {
          file.refused = { code: 'BackupBusy', message: `it is ${entry.status}; try again when that is done` };
        }
        return file;
      });
      const files = await refuseOutOfScope(input.actor, input.channelId, looked);
      const { id } = repos.deletions.createPlan({
        id: newDeleteId(),
        planKey: input.planKey,
        actor: input.actor,
        channelId: input.channelId,
        files,
        now: clock.now(),
      });
      const plan = repos.deletions.get(id);
      if (!plan) throw new Error(`deletion plan ${id} vanished`);
      if (input.auditId !== undefined) {
        audit.recordOutcome(input.auditId, {
          status: 'confirmation-shown',
          deleteId: id,
          backupFileIds: deletableFiles(plan).map((file) => file.backupFileId),
          neverVerified: unverifiedFiles(plan).map((file) => file.backupFileId),
          refused: plan.files.flatMap((file) =>
            file.refused ? [{ backupFileId: file.backupFileId, code: file.refused.code }] : [],
          ),
        });
      }
      return { ok: true, plan };
    },

    get(id: string): DeleteRecord | undefined {
      return repos.deletions.get(id);
    },

    /**
     * The final confirmation: refuses when never-verified backups are included without `acknowledgedUnverified`
     * (the second confirmation), checks the delete permission for each backup's source instance and location (recorded), and marks
     * the deletion 'sent' before the ack. Call `execute` after the ack.
     */
    async confirm(input: {
      actor: Actor;
      deleteId: string;
      acknowledgedUnverified: boolean;
    }): Promise<DeleteConfirmResult> {
      const plan = repos.deletions.get(input.deleteId);
      if (!plan) return { ok: false, reason: 'not-found' };
      if (plan.actor.userId !== input.actor.userId) return { ok: false, reason: 'not-yours' };
      const files = deletableFiles(plan);
      if (files.length === 0) return { ok: false, reason: 'nothing-to-delete' };
      const unverified = unverifiedFiles(plan);
      if (unverified.length > 0 && !input.acknowledgedUnverified) {
        return { ok: false, reason: 'needs-second-confirmation' };
      }
      const { decision, auditId } = await guard.check(
        { actor: input.actor, action: 'delete', channelId: plan.channelId, targets: targetsOf(files) },
        {
          step: 'confirm',
          deleteId: plan.id,
          backupFileIds: files.map((file) => file.backupFileId),
          neverVerified: unverified.map((file) => file.backupFileId),
          confirmedTwice: unverified.length > 0,
        },
      );
      if (!decision.allowed) return { ok: false, reason: 'denied', message: decision.reason };
      const created = repos.deletions.markSent(plan.id, clock.now());
      const record = repos.deletions.get(plan.id) ?? plan;
      return { ok: true, record, auditId, created };
    },

    /** Sends DeleteBackupFile for a confirmed deletion and records the outcome (on the audit entry too). */
    async execute(deleteId: string, auditId: number): Promise<DeleteRecord> {
      const record = repos.deletions.get(deleteId);
      if (!record) throw new Error(`deletion ${deleteId} vanished`);
      if (record.status !== 'sent') return record;
      const ids = deletableFiles(record).map((file) => file.backupFileId);
      await deleteUntilSettled(record);
      const result = repos.deletions.get(deleteId) ?? record;
      audit.recordOutcome(auditId, {
        status: result.status,
        backupFileIds: ids,
        ...(result.errorCode
          ? {
              errors: [
                { code: result.errorCode, message: result.errorMessage ?? '', requestId: result.cloudRequestId },
              ],
            }
          : {}),
      });
      return result;
    },

    /** Deletions the bot recorded as 'sent' but never settled (it stopped mid-call): looked up, never resent. */
    async reconcileStale(): Promise<void> {
      for (const id of repos.deletions.staleSentIds(clock.now() - STALE_DELETE_MS)) {
        const record = repos.deletions.get(id);
        if (record) await reconcile(record);
      }
    },
  };
}

export type DeleteService = ReturnType<typeof createDeleteService>;
