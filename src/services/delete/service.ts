/**
 * Deleting backup files (DeleteBackupFile), guarded: its own permission, a confirmation that lists what goes, and for
 * a backup no restore was ever verified from, a second, explicit confirmation. The plan is recorded when the
 * confirmation is shown; the final confirmation turns it into a durable request before the ack; the runner sends it
 * and posts the result (steps.ts).
 */
import { randomBytes } from 'node:crypto';
import type { DeleteFile, DeleteRecord } from '../../db/delete-requests.js';
import type { Repositories } from '../../db/index.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard, GuardResult } from '../access/guard.js';
import type { AccessTarget } from '../access/permissions.js';
import type { ApprovalService } from '../approval/service.js';
import type { Actor, CloudFailure } from '../backup/model.js';
import type { CatalogService } from '../catalog/service.js';
import type { Clock } from '../pipeline/ports.js';
import { latestVerification, type Verification } from '../restore/model.js';

/** Statuses DeleteBackupFile accepts (§4.2; a file being backed up or restored from is refused by the service). */
export const DELETABLE_STATUSES: ReadonlySet<string> = new Set([
  'AVAILABLE',
  'BACKUP_FAILED',
  'RECOVERY_FAILED',
  'PART_BACKUP_FINISHED',
]);

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

/** What a deletion plan keeps of a backup's latest verification (kind, who, when, which restore). */
function verifiedBy(verification: Verification | undefined): DeleteFile['verifiedBy'] {
  if (!verification) return undefined;
  return {
    kind: verification.kind,
    userId: verification.userId,
    at: verification.at.getTime(),
    restoreRequestId: verification.restoreRequestId,
  };
}

/** Deletable files no restore was ever verified from: they need the second confirmation. */
export function unverifiedFiles(plan: Pick<DeleteRecord, 'files'>): DeleteFile[] {
  return deletableFiles(plan).filter((file) => !file.verifiedBy);
}

export function createDeleteService(deps: {
  repos: Repositories;
  guard: AccessGuard;
  audit: AuditTrail;
  catalog: CatalogService;
  /** Told when a deletion is confirmed, so the runner sends it now rather than at its next look. */
  runner: { kick(): void };
  clock: Clock;
  simulated: boolean;
  /** Two-person approval (the policy's `approvals:`); without it no deletion waits. */
  approvals?: Pick<ApprovalService, 'requirementFor' | 'open'> | undefined;
}) {
  const { repos, guard, audit, catalog, runner, clock } = deps;

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
          verifiedBy: verifiedBy(latestVerification(entry.verifications)),
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
        simulated: deps.simulated,
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
        { actor: input.actor, action: 'delete', channelId: plan.channelId, targets: deleteTargets(files) },
        {
          step: 'confirm',
          deleteId: plan.id,
          backupFileIds: files.map((file) => file.backupFileId),
          neverVerified: unverified.map((file) => file.backupFileId),
          confirmedTwice: unverified.length > 0,
        },
      );
      if (!decision.allowed) return { ok: false, reason: 'denied', message: decision.reason };
      const sources = [...new Set(files.flatMap((file) => (file.sourceInstanceId ? [file.sourceInstanceId] : [])))];
      const requirement = await deps.approvals?.requirementFor({
        action: 'delete',
        instanceIds: sources,
        instancesUnknown: files.some((file) => !file.sourceInstanceId),
      });
      const created = repos.db.transaction(() => {
        // The deletion and what it must collect first are recorded together: it is never sent unapproved.
        const confirmed = repos.deletions.confirm(plan.id, clock.now(), requirement ? 'approval' : 'send');
        if (confirmed && requirement) deps.approvals?.open(plan.id, requirement, sources);
        // The runner records the outcome on this entry when the deletion settles.
        if (confirmed) audit.linkRequest(auditId, plan.id);
        return confirmed;
      })();
      if (created) runner.kick();
      const record = repos.deletions.get(plan.id) ?? plan;
      return { ok: true, record, auditId, created };
    },
  };
}

export type DeleteService = ReturnType<typeof createDeleteService>;

/**
 * The files of a deletion as the permission check sees them: each one's source instance and location must be in the
 * person's scope.
 */
export function deleteTargets(files: readonly DeleteFile[]): AccessTarget[] {
  return files.map((file) => ({ label: file.backupFileId, instanceId: file.sourceInstanceId, path: file.path }));
}
