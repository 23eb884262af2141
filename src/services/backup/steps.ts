/**
 * A backup's steps, as the runner takes them: announce → lookup → stop → submit → track → start, then the runner's
 * report. Each step is the workflow's (workflow.ts); this map is all the runner knows of backups.
 */
import type { Repositories } from '../../db/index.js';
import type { CancelTerms } from '../pipeline/cancel.js';
import type { RequestNotifier } from '../pipeline/ports.js';
import { type KindSteps, kindSteps, stateDigest } from '../pipeline/runner.js';
import type { BackupRequestView } from './model.js';
import { type BackupWorkflow, backupNotSent } from './workflow.js';

export function backupSteps(deps: {
  repos: Repositories;
  workflow: BackupWorkflow;
  notifier: RequestNotifier<BackupRequestView>;
  /** Least time between two parent updates that no step change forces. */
  progressUpdateMs: number;
  /** A child backup of a scheduled run: no reply of its own (the run reports it). */
  quiet?: ((id: string) => boolean) | undefined;
}): KindSteps<never> {
  const { repos, workflow } = deps;
  const steps: KindSteps<BackupRequestView> = {
    steps: {
      announce: workflow.announce,
      lookup: workflow.lookup,
      stop: workflow.stop,
      submit: workflow.submit,
      track: workflow.track,
      start: workflow.start,
    },
    view: (id) => repos.backups.get(id),
    notifier: deps.notifier,
    digest: (view) => stateDigest(view.status, view.instances),
    progressThrottleMs: deps.progressUpdateMs,
    taskEnded: (requestId, instanceId, outcome) => repos.backups.updateInstance(requestId, instanceId, outcome),
    ...(deps.quiet ? { quiet: deps.quiet } : {}),
  };
  return kindSteps(steps);
}

/** Cancel for a backup: it needs the backup permission for its instances; a BackupApp already sent cannot be called back. */
export function backupCancelTerms(repos: Repositories): CancelTerms {
  return {
    access(id) {
      const record = repos.backups.get(id);
      return record && { action: 'backup', instanceIds: record.spec.instanceIds };
    },
    tally(id) {
      const instances = repos.backups.get(id)?.instances ?? [];
      return {
        notSent: instances.filter(backupNotSent).length,
        inCloud: instances.filter((i) => i.callId !== undefined || i.taskId !== undefined).length,
      };
    },
  };
}
