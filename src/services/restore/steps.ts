/**
 * A restore's steps, as the runner takes them: announce → start (the stopped targets the person chose to start) →
 * submit → track, then the runner's report. Each step is the workflow's (workflow.ts); this map is all the runner
 * knows of restores.
 */
import type { Repositories } from '../../db/index.js';
import type { RequestNotifier } from '../pipeline/ports.js';
import { type KindSteps, kindSteps, stateDigest } from '../pipeline/runner.js';
import type { RestoreRequestView } from './model.js';
import type { RestoreWorkflow } from './workflow.js';

export function restoreSteps(deps: {
  repos: Repositories;
  workflow: RestoreWorkflow;
  notifier: RequestNotifier<RestoreRequestView>;
}): KindSteps<never> {
  const { repos, workflow } = deps;
  const steps: KindSteps<RestoreRequestView> = {
    steps: {
      announce: workflow.announce,
      start: workflow.start,
      submit: workflow.submit,
      track: workflow.track,
    },
    // The reply and the parent show who verified the restore, once someone has.
    view: (id) => {
      const record = repos.restores.get(id);
      return record && { ...record, verification: repos.verifications.forRequest(id) };
    },
    notifier: deps.notifier,
    digest: (view) => stateDigest(view.status, view.targets),
    // Restores are few and small: every change is shown at once.
    progressThrottleMs: 0,
    taskEnded: (requestId, instanceId, outcome) => repos.restores.updateTarget(requestId, instanceId, outcome),
  };
  return kindSteps(steps);
}
