/**
 * A restore's steps, as the runner takes them: announce → approval (when a rule asks) → start (the stopped targets
 * the person chose to start) → submit → track → verify (the restored apps are checked), then the runner's report.
 * Each step is the workflow's (workflow.ts); this map is all the runner knows of restores.
 */
import type { Repositories } from '../../db/index.js';
import type { ApprovalSubject } from '../approval/step.js';
import type { CancelTerms } from '../pipeline/cancel.js';
import type { RequestNotifier } from '../pipeline/ports.js';
import { type KindSteps, kindSteps, type Step, stateDigest } from '../pipeline/runner.js';
import { includedTargets } from './compat.js';
import { type RestoreRequestView, restoreNotSent } from './model.js';
import { restoreView } from './view.js';
import type { RestoreWorkflow } from './workflow.js';

export function restoreSteps(deps: {
  repos: Repositories;
  workflow: RestoreWorkflow;
  notifier: RequestNotifier<RestoreRequestView>;
  /** The approval step (services/approval/step.ts), made with `restoreApprovalSubject` and the workflow's ends. */
  approval?: Step | undefined;
}): KindSteps<never> {
  const { repos, workflow } = deps;
  const steps: KindSteps<RestoreRequestView> = {
    steps: {
      announce: workflow.announce,
      ...(deps.approval ? { approval: deps.approval } : {}),
      start: workflow.start,
      submit: workflow.submit,
      track: workflow.track,
      verify: workflow.verify,
    },
    // The reply and the parent show the bot's checks and who verified the restore, once someone has.
    view: (id) => restoreView(repos, id),
    notifier: deps.notifier,
    digest: (view) => stateDigest(view.status, view.targets),
    // Restores are few and small: every change is shown at once.
    progressThrottleMs: 0,
    taskEnded: (requestId, instanceId, outcome) => repos.restores.updateTarget(requestId, instanceId, outcome),
  };
  return kindSteps(steps);
}

/** What the approvers of a restore are shown: the backup, and the targets it would overwrite. */
export function restoreApprovalSubject(repos: Repositories, id: string): ApprovalSubject {
  const record = repos.restores.get(id);
  if (!record) throw new Error(`restore ${id} vanished`);
  return {
    requestId: id,
    kind: 'restore',
    requesterId: record.actor.userId,
    channelId: record.channelId,
    backups: [
      {
        backupFileId: record.backup.backupFileId,
        name: record.backup.name,
        createdAt: record.backup.createdAt,
        apps: record.backup.apps,
      },
    ],
    instanceIds: includedTargets(record).map((target) => target.instanceId),
    simulated: record.simulated,
  };
}

/** Cancel for a restore: it needs the restore permission for its targets; a RecoverApp already sent cannot be called back. */
export function restoreCancelTerms(repos: Repositories): CancelTerms {
  return {
    access(id) {
      const record = repos.restores.get(id);
      return record && { action: 'restore', instanceIds: includedTargets(record).map((target) => target.instanceId) };
    },
    tally(id) {
      const record = repos.restores.get(id);
      const targets = record ? includedTargets(record) : [];
      return {
        notSent: targets.filter(restoreNotSent).length,
        inCloud: targets.filter((t) => t.callId !== undefined || t.taskId !== undefined).length,
      };
    },
  };
}
