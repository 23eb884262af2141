/**
 * The restore workflow as idempotent steps over SQLite state, like the backup workflow: announce, start the stopped
 * targets the person chose to start (and wait for RUNNING), check every target again and send RecoverApp, track the
 * tasks, finish. RecoverApp uninstalls the apps on the target first, so a call whose outcome is unknown is looked up
 * (DescribeTasks with InvokeId = its RequestId) or reported plainly; it is never sent twice.
 */
import type { Logger } from 'pino';
import type { ApprovalRecord } from '../../db/approvals.js';
import type { Repositories } from '../../db/index.js';
import type { RestoreRecord, RestoreStep, TargetPatch } from '../../db/restore-requests.js';
import { notApprovedReason } from '../approval/step.js';
import type { CloudFailure } from '../backup/model.js';
import { factsOf } from '../fleet/instance-facts.js';
import { createAnnounceStep } from '../pipeline/announce.js';
import { chunk, failedCall, failureOf } from '../pipeline/cloud-failure.js';
import type { Clock, CloudInstance, CloudPhone, RequestNotifier } from '../pipeline/ports.js';
import { RetryLater } from '../pipeline/retry-later.js';
import { assessTarget, includedTargets, STARTABLE_STATUSES } from './compat.js';
import type { RestoreRequestView, RestoreStatus, RestoreTarget } from './model.js';

export interface RestoreSettings {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** How long a started target may take to reach RUNNING. */
  startTimeoutMs: number;
  taskTimeoutMs: number;
  maxInstancesPerCall: number;
}

export interface RestoreWorkflowDeps {
  repos: Repositories;
  cloud: Pick<CloudPhone, 'describeInstances' | 'startInstances' | 'recoverApp' | 'describeTasks'>;
  notifier: RequestNotifier<RestoreRequestView>;
  clock: Clock;
  settings: RestoreSettings;
  logger: Logger;
  /** Told once when a restore reaches its final state (the audit trail records the outcome). */
  onFinished?: (request: RestoreRecord) => void;
}

/** The outcome over the targets the person confirmed (refused and left-out targets were never part of it). */
export function finalRestoreStatus(request: { targets: RestoreTarget[]; startStopped: boolean }): RestoreStatus {
  const included = includedTargets(request);
  const succeeded = included.filter((target) => target.state === 'succeeded').length;
  if (included.length > 0 && succeeded === included.length) return 'succeeded';
  return succeeded > 0 ? 'partial' : 'failed';
}

export function createRestoreWorkflow(deps: RestoreWorkflowDeps) {
  const { repos, cloud, notifier, clock, settings, logger } = deps;
  const { restores, requests, calls, tasks } = repos;

  function load(id: string): RestoreRecord {
    const record = restores.get(id);
    if (!record) throw new Error(`restore ${id} vanished`);
    return record;
  }

  function moveTo(id: string, step: RestoreStep): void {
    requests.setStep(id, step, clock.now(), clock.now());
  }

  function retryLater(id: string, delayMs = settings.pollIntervalMs): void {
    requests.wakeAt(id, clock.now() + delayMs, clock.now());
  }

  function update(id: string, instanceId: string, patch: TargetPatch): void {
    restores.updateTarget(id, instanceId, patch);
  }

  async function describe(ids: string[]): Promise<Map<string, CloudInstance> | undefined> {
    if (ids.length === 0) return new Map();
    try {
      const found = await cloud.describeInstances({ instanceIds: ids });
      return new Map(found.map((instance) => [instance.instanceId, instance]));
    } catch (error) {
      logger.warn({ err: error }, 'DescribeAndroidInstances failed during a restore; will look again');
      return undefined;
    }
  }

  const announce = createAnnounceStep({
    repos,
    notifier,
    clock,
    logger,
    load,
    retryMs: settings.pollIntervalMs,
    // A restore a policy rule holds for approval waits before anything that changes an instance.
    next: (record) => (repos.approvals.get(record.id)?.state === 'waiting' ? 'approval' : firstChange(record.id)),
  });

  /** The first step that changes anything: start the stopped targets, or send RecoverApp. */
  function firstChange(id: string): RestoreStep {
    return load(id).targets.some((target) => target.state === 'starting') ? 'start' : 'submit';
  }

  /**
   * Ends a restore whose approval was denied or ran out: every target it would have changed is left alone (skipped,
   * saying why), the final status is recorded and the reply queued. No cloud call was or will be made.
   */
  function notApproved(id: string, state: 'denied' | 'expired', approval: ApprovalRecord): void {
    const reason = notApprovedReason(state, approval);
    repos.db.transaction(() => {
      for (const target of load(id).targets) {
        if (target.state !== 'pending' && target.state !== 'starting') continue;
        update(id, target.instanceId, { state: 'skipped', ...reason });
      }
      requests.finish(id, state, clock.now());
    })();
    deps.onFinished?.(load(id));
  }

  /** Starts the stopped targets the person chose to start, then waits until they run (or time out). */
  async function start(id: string): Promise<void> {
    const record = load(id);
    const starting = record.targets.filter((target) => target.state === 'starting');
    if (starting.length > 0 && calls.list(id, 'StartAndroidInstance').length === 0) {
      const statuses = await describe(starting.map((target) => target.instanceId));
      if (statuses === undefined) return retryLater(id);
      const toStart: string[] = [];
      for (const target of starting) {
        const status = statuses.get(target.instanceId)?.status;
        if (status === 'RUNNING') update(id, target.instanceId, { state: 'pending' });
        else if (status !== undefined && STARTABLE_STATUSES.has(status)) toStart.push(target.instanceId);
        else if (status !== 'STARTING') {
          update(id, target.instanceId, {
            state: 'failed',
            errorCode: status === undefined ? 'InstanceNotFound' : 'UnsuitableStatus',
            errorMessage:
              status === undefined
                ? 'the instance no longer exists'
                : `the instance went ${status} before the bot could start it`,
          });
        }
      }
      for (const ids of chunk(toStart, settings.maxInstancesPerCall)) {
        const callId = repos.db.transaction(() => {
          const newId = calls.begin(id, 'StartAndroidInstance', ids, clock.now());
          for (const instanceId of ids) update(id, instanceId, { startedByBot: true });
          return newId;
        })();
        try {
          const result = await cloud.startInstances(ids);
          calls.settle(callId, { status: 'accepted', cloudRequestId: result.requestId }, clock.now());
        } catch (error) {
          const failure = failureOf(error);
          calls.settle(callId, failedCall(failure), clock.now());
          // Unknown outcome: the status poll below tells whether the start took effect; it is not sent again.
          if (!failure.outcomeUnknown) {
            for (const instanceId of ids) {
              update(id, instanceId, {
                state: 'failed',
                startedByBot: false,
                errorCode: failure.code,
                errorMessage: `could not start it before the restore: ${failure.message}`,
                requestId: failure.requestId,
              });
            }
          }
        }
      }
    }
    const waiting = load(id).targets.filter((target) => target.state === 'starting');
    if (waiting.length > 0) {
      const statuses = await describe(waiting.map((target) => target.instanceId));
      if (statuses === undefined) return retryLater(id);
      const timedOut = clock.now() - record.stepStartedAt > settings.startTimeoutMs;
      let stillWaiting = 0;
      for (const target of waiting) {
        const status = statuses.get(target.instanceId)?.status;
        if (status === 'RUNNING') update(id, target.instanceId, { state: 'pending' });
        else if (
          !timedOut &&
          status !== undefined &&
          (status === 'STARTING' || STARTABLE_STATUSES.has(status) || status === 'STOPPING')
        ) {
          stillWaiting++;
        } else {
          update(id, target.instanceId, {
            state: 'failed',
            errorCode: timedOut ? 'StartTimeout' : 'UnsuitableStatus',
            errorMessage: timedOut
              ? `the instance did not reach RUNNING in time (last seen ${status ?? 'missing'}); nothing was restored on it`
              : `the instance went ${status ?? 'missing'} while the bot waited for it to start`,
          });
        }
      }
      if (stillWaiting > 0) return retryLater(id);
    }
    moveTo(id, 'submit');
  }

  /**
   * Checks every pending target once more (same image version, image kind, instance type and architecture as the
   * backup's source, and RUNNING), then sends RecoverApp for those that pass. A target that fails the check is
   * skipped with the reason: no RecoverApp reaches it.
   */
  async function submit(id: string): Promise<void> {
    const record = load(id);
    for (const call of calls.list(id, 'RecoverApp')) {
      if (call.status === 'sent') settleLostCall(id, call.id, call.instanceIds);
      else if (call.status === 'unknown')
        await reconcileRecoverCall(id, call.id, call.instanceIds, call.cloudRequestId);
    }
    const pending = load(id).targets.filter((target) => target.state === 'pending' && target.callId === undefined);
    if (pending.length > 0) {
      const found = await describe(pending.map((target) => target.instanceId));
      if (found === undefined) {
        if (clock.now() - record.stepStartedAt <= settings.startTimeoutMs) return retryLater(id);
        // The last check before RecoverApp cannot be skipped: give up on these targets rather than guess.
        for (const target of pending) {
          update(id, target.instanceId, {
            state: 'failed',
            errorCode: 'CheckFailed',
            errorMessage:
              'the bot could not check the instance just before the restore (DescribeAndroidInstances kept failing), so it sent nothing to it',
          });
        }
        return moveTo(id, 'track');
      }
      const ready: string[] = [];
      for (const target of pending) {
        const instance = found.get(target.instanceId);
        const assessment = assessTarget(
          { facts: record.backup.facts },
          instance === undefined ? undefined : factsOf(instance),
        );
        if (assessment.verdict === 'ready') ready.push(target.instanceId);
        else if (assessment.verdict === 'needs-start') {
          update(id, target.instanceId, {
            state: 'skipped',
            errorCode: 'NotRunning',
            errorMessage: `checked again just before the restore: it is ${instance?.status ?? 'not running'} now, and a restore needs it RUNNING`,
          });
        } else {
          update(id, target.instanceId, {
            state: 'skipped',
            errorCode: assessment.code ?? 'NotReady',
            errorMessage: `checked again just before the restore: ${assessment.reason ?? 'it is not ready'}`,
          });
        }
      }
      const path = record.backup.path;
      for (const ids of chunk(ready, settings.maxInstancesPerCall)) {
        if (!path) {
          for (const instanceId of ids) {
            update(id, instanceId, {
              state: 'skipped',
              errorCode: 'BackupPathUnknown',
              errorMessage: 'the cloud did not say where the backup file is',
            });
          }
          continue;
        }
        const callId = repos.db.transaction(() => {
          const newId = calls.begin(id, 'RecoverApp', ids, clock.now());
          for (const instanceId of ids) update(id, instanceId, { callId: newId });
          return newId;
        })();
        try {
          const result = await cloud.recoverApp({
            instanceIds: ids,
            backupFileId: record.backup.backupFileId,
            backupFilePath: path,
            uploadEndpoint: record.backup.uploadEndpoint,
          });
          repos.db.transaction(() => {
            calls.settle(
              callId,
              { status: 'accepted', cloudRequestId: result.requestId, batchTaskId: result.taskId },
              clock.now(),
            );
            const items = new Map(result.items.map((item) => [item.instanceId, item.taskId]));
            for (const instanceId of ids) {
              const taskId = items.get(instanceId);
              if (taskId) track(id, instanceId, taskId);
              else {
                update(id, instanceId, {
                  state: 'failed',
                  errorCode: 'NotAccepted',
                  errorMessage: 'RecoverApp answered without a task for this instance',
                  requestId: result.requestId,
                });
              }
            }
          })();
        } catch (error) {
          const failure = failureOf(error);
          if (failure.outcomeUnknown) {
            calls.settle(callId, failedCall(failure), clock.now());
            await reconcileRecoverCall(id, callId, ids, failure.requestId, failure);
          } else {
            calls.settle(callId, failedCall(failure), clock.now());
            for (const instanceId of ids) {
              update(id, instanceId, {
                state: 'failed',
                errorCode: failure.code,
                errorMessage: failure.message,
                requestId: failure.requestId,
              });
            }
            if (ids.length === includedTargets(record).length) requests.setFailure(id, failure, clock.now());
          }
        }
      }
    }
    moveTo(id, 'track');
  }

  function track(id: string, instanceId: string, taskId: string): void {
    update(id, instanceId, { state: 'submitted', taskId });
    tasks.add({ taskId, requestId: id, instanceId }, clock.now() + settings.pollIntervalMs, clock.now());
  }

  /** A call recorded 'sent' with no answer kept (the bot stopped mid-call): nothing to look it up by. Say so. */
  function settleLostCall(id: string, callId: number, ids: readonly string[]): void {
    repos.db.transaction(() => {
      for (const instanceId of ids) {
        update(id, instanceId, {
          state: 'failed',
          errorCode: 'OutcomeUnknown',
          errorMessage:
            'the bot stopped while sending RecoverApp and cannot tell whether it reached the cloud; it did not send it again, because a second restore would uninstall the apps again. Check the instance before retrying.',
        });
      }
      calls.settle(callId, { status: 'reconciled', errorCode: 'OutcomeUnknown' }, clock.now());
    })();
  }

  /**
   * RecoverApp whose outcome is unknown: its tasks carry InvokeId = the call's RequestId, so look them up and track
   * what is found. Without a RequestId, or when nothing is found, report plainly; never resend.
   */
  async function reconcileRecoverCall(
    id: string,
    callId: number,
    ids: readonly string[],
    cloudRequestId: string | undefined,
    cause?: CloudFailure,
  ): Promise<void> {
    let found: Awaited<ReturnType<typeof cloud.describeTasks>> = [];
    if (cloudRequestId) {
      try {
        found = await cloud.describeTasks({ invokeId: cloudRequestId });
      } catch (error) {
        logger.warn({ requestId: id, err: error }, 'could not look up RecoverApp tasks to reconcile; will retry');
        retryLater(id);
        throw new RetryLater('reconcile RecoverApp');
      }
    }
    const byInstance = new Map(
      found.filter((task) => task.instanceId && task.level !== 1).map((task) => [task.instanceId as string, task]),
    );
    repos.db.transaction(() => {
      for (const instanceId of ids) {
        const task = byInstance.get(instanceId);
        if (task) {
          track(id, instanceId, task.taskId);
          continue;
        }
        update(id, instanceId, {
          state: 'failed',
          errorCode: 'OutcomeUnknown',
          errorMessage: cloudRequestId
            ? `the bot could not tell whether RecoverApp reached the cloud, and found no restore task for RequestId ${cloudRequestId}; it did not send it again. Check the instance before retrying.`
            : 'the bot could not tell whether RecoverApp reached the cloud (no answer came back); it did not send it again, because a second restore would uninstall the apps again. Check the instance before retrying.',
          requestId: cloudRequestId ?? cause?.requestId,
        });
      }
      calls.settle(callId, { status: 'reconciled', cloudRequestId, errorCode: cause?.code }, clock.now());
    })();
  }

  async function trackStep(id: string): Promise<void> {
    const record = load(id);
    if (tasks.openCount(id) > 0) {
      if (clock.now() - record.stepStartedAt <= settings.taskTimeoutMs) {
        // The poller wakes this restore when its last task ends; this is only a safety net.
        return retryLater(id, settings.maxPollIntervalMs);
      }
      for (const target of record.targets.filter((t) => t.state === 'submitted')) {
        if (target.taskId) tasks.markFinished(target.taskId, 'TimedOut', clock.now());
        update(id, target.instanceId, {
          state: 'failed',
          errorCode: 'TaskTimeout',
          errorMessage: 'the restore task did not finish in time; the bot stopped watching it',
        });
      }
    }
    finish(id);
  }

  function finish(id: string): void {
    const record = load(id);
    requests.finish(id, finalRestoreStatus(record), clock.now());
    deps.onFinished?.(load(id));
  }

  return { announce, start, submit, track: trackStep, finish, firstChange, notApproved };
}

export type RestoreWorkflow = ReturnType<typeof createRestoreWorkflow>;
