/**
 * The restore workflow as idempotent steps over SQLite state, like the backup workflow: announce, start the stopped
 * targets the person chose to start (and wait for RUNNING), check every target again and send RecoverApp, track the
 * tasks, check the restored apps (verify-step.ts), finish. RecoverApp uninstalls the apps on the target first, so a call whose outcome is unknown is looked up
 * (DescribeTasks with InvokeId = its RequestId) or reported plainly; it is never sent twice.
 */
import type { Logger } from 'pino';
import type { ApprovalRecord } from '../../db/approvals.js';
import type { Repositories } from '../../db/index.js';
import type { RestoreRecord, RestoreStep, TargetPatch } from '../../db/restore-requests.js';
import { type ApprovalEnd, notApprovedReason } from '../approval/step.js';
import type { CloudFailure } from '../backup/model.js';
import { factsOf } from '../fleet/instance-facts.js';
import { createAnnounceStep } from '../pipeline/announce.js';
import { CANCELLED } from '../pipeline/cancel.js';
import { chunk, failedCall, failureOf } from '../pipeline/cloud-failure.js';
import { classifyFailure, decide, recordedFailure, replay, sendsByTarget } from '../pipeline/mutating-call.js';
import type { Clock, CloudInstance, CloudPhone, RequestNotifier } from '../pipeline/ports.js';
import { startEffect } from '../pipeline/power-keeper.js';
import { RetryLater } from '../pipeline/retry-later.js';
import { assessTarget, includedTargets, STARTABLE_STATUSES } from './compat.js';
import { type RestoreRequestView, type RestoreStatus, type RestoreTarget, restoreNotSent } from './model.js';
import { createVerifyStep } from './verify-step.js';

export interface RestoreSettings {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** How long a started target may take to reach RUNNING. */
  startTimeoutMs: number;
  taskTimeoutMs: number;
  maxInstancesPerCall: number;
  /** CLOUDPHONE_TRANSIENT_RETRY_MS: how long refusals of StartAndroidInstance and RecoverApp are sent again. */
  transientRetryMs: number;
  /** CLOUDPHONE_VERIFY_SIZE_TOLERANCE: how far (a fraction) a restored app's data may differ from the source's. */
  verifySizeTolerance: number;
}

export interface RestoreWorkflowDeps {
  repos: Repositories;
  cloud: Pick<CloudPhone, 'describeInstances' | 'startInstances' | 'recoverApp' | 'describeTasks' | 'runSyncCommand'>;
  notifier: RequestNotifier<RestoreRequestView>;
  clock: Clock;
  settings: RestoreSettings;
  logger: Logger;
  /** Told once when a restore reaches its final state (the audit trail records the outcome). */
  onFinished?: (request: RestoreRecord) => void;
}

/** RecoverApp's task type as DescribeTasks reports it (§4.3; the simulator's too). */
const RECOVER_TASK_TYPE = 'RecoverFile';
/** How long after RecoverApp is recorded its tasks should be listed by DescribeTasks. */
const LOST_CALL_GRACE_MS = 2_000;
/** How far the cloud's clock (a task's StartTime) may be behind the bot's. */
const CLOUD_CLOCK_SKEW_MS = 60_000;

/** Statuses a target to start passes through on its way (or back) to a state StartAndroidInstance takes. */
const WAIT_TO_START = new Set(['STARTING', 'STOPPING']);

/** The outcome over the targets the person confirmed (refused and left-out targets were never part of it). */
export function finalRestoreStatus(request: { targets: RestoreTarget[]; startStopped: boolean }): RestoreStatus {
  const included = includedTargets(request);
  const succeeded = included.filter((target) => target.state === 'succeeded').length;
  if (included.length > 0 && succeeded === included.length) return 'succeeded';
  if (included.length > 0 && included.every((target) => target.errorCode === CANCELLED)) return 'cancelled';
  return succeeded > 0 ? 'partial' : 'failed';
}

export function createRestoreWorkflow(deps: RestoreWorkflowDeps) {
  const { repos, cloud, notifier, clock, settings, logger } = deps;
  const startPolicy = {
    retryWindowMs: settings.transientRetryMs,
    backoffMs: settings.pollIntervalMs,
    maxBackoffMs: settings.maxPollIntervalMs,
    // A target still STOPPED a poll after a start did not start: sending it again is safe.
    settleMs: settings.pollIntervalMs,
    maxIneffective: 3,
    // A call a crash left unanswered gets a whole window after the restart.
    windowOpensAt: clock.now(),
  };
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
  function notApproved(id: string, state: ApprovalEnd, approval: ApprovalRecord): void {
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

  /**
   * After a cancel: every target whose RecoverApp was not sent is skipped, saying so. Runs inside the steps (never
   * between a RecoverApp's record and its call), so it cannot race the sending. A target the bot already started is
   * left running: starting it changed nothing on it, and stopping it again is the person's call.
   */
  function skipUnsent(id: string): void {
    const record = load(id);
    if (!record.cancelled) return;
    repos.db.transaction(() => {
      for (const target of record.targets) {
        if (!restoreNotSent(target)) continue;
        update(id, target.instanceId, {
          state: 'skipped',
          errorCode: CANCELLED,
          errorMessage: target.startedByBot
            ? 'the request was cancelled before the restore was sent; the bot had started this instance, and it stays running'
            : 'the request was cancelled before the restore was sent to the cloud',
        });
      }
    })();
  }

  /** True, once what was not sent is skipped, when a cancel was recorded while the step ran: it sends nothing more. */
  function cancelledMidStep(id: string): boolean {
    if (!load(id).cancelled) return false;
    skipUnsent(id);
    return true;
  }

  /**
   * Starts the stopped targets the person chose to start, and waits until they run (or time out). Each start is sent
   * and resolved by the mutating-call policy: refused before acting, sent again after a back-off; an unclear outcome
   * (or a crash in between), looked at, and sent again only to a target still off.
   */
  async function start(id: string): Promise<void> {
    skipUnsent(id);
    const record = load(id);
    const starting = record.targets.filter((target) => target.state === 'starting');
    const statuses = await describe(starting.map((target) => target.instanceId));
    if (statuses === undefined) return retryLater(id);
    const timedOut = clock.now() - record.stepStartedAt > settings.startTimeoutMs;
    const sends = sendsByTarget(calls.list(id, 'StartAndroidInstance'));
    const toStart: string[] = [];
    let waiting = 0;
    for (const target of starting) {
      const status = statuses.get(target.instanceId)?.status;
      if (status === 'RUNNING') {
        update(id, target.instanceId, { state: 'pending' });
        continue;
      }
      const move =
        timedOut || status === undefined || !(STARTABLE_STATUSES.has(status) || WAIT_TO_START.has(status))
          ? undefined
          : decide({
              history: replay(sends.get(target.instanceId) ?? []),
              effect: startEffect(status),
              now: clock.now(),
              settings: startPolicy,
            });
      if (move?.kind === 'send') toStart.push(target.instanceId);
      if (move?.kind === 'send' || move?.kind === 'wait') {
        waiting++;
        continue;
      }
      const last = calls
        .list(id, 'StartAndroidInstance')
        .findLast((call) => call.instanceIds.includes(target.instanceId));
      update(id, target.instanceId, {
        state: 'failed',
        errorCode: timedOut
          ? 'StartTimeout'
          : status === undefined
            ? 'InstanceNotFound'
            : move?.kind === 'give-up'
              ? (last?.errorCode ?? 'StartFailed')
              : 'UnsuitableStatus',
        errorMessage: timedOut
          ? `the instance did not reach RUNNING in time (last seen ${status ?? 'missing'}); nothing was restored on it`
          : status === undefined
            ? 'the instance no longer exists'
            : move?.kind === 'give-up'
              ? `could not start it before the restore: ${last?.errorMessage ?? `it stayed ${status}`}`
              : `the instance went ${status} while the bot waited for it to start`,
      });
    }
    for (const ids of chunk(toStart, settings.maxInstancesPerCall)) {
      // A cancel recorded while the statuses were read (or an earlier chunk sent) starts no more phones.
      if (cancelledMidStep(id)) break;
      const callId = repos.db.transaction(() => {
        const newId = calls.begin(id, 'StartAndroidInstance', ids, clock.now());
        for (const instanceId of ids) update(id, instanceId, { startedByBot: true });
        return newId;
      })();
      try {
        const result = await cloud.startInstances(ids);
        calls.settle(callId, { status: 'accepted', cloudRequestId: result.requestId }, clock.now());
      } catch (error) {
        calls.settle(callId, recordedFailure(error), clock.now());
      }
    }
    if (waiting > 0) return retryLater(id);
    moveTo(id, 'submit');
  }

  /**
   * Checks every pending target once more (same image version, image kind, instance type and architecture as the
   * backup's source, and RUNNING), then sends RecoverApp for those that pass. A target that fails the check is
   * skipped with the reason: no RecoverApp reaches it.
   */
  async function submit(id: string): Promise<void> {
    skipUnsent(id);
    const record = load(id);
    let retryAt: number | undefined;
    for (const call of calls.list(id, 'RecoverApp')) {
      if (call.status === 'sent') await lookUpLostCall(id, call);
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
      const recoverSends = sendsByTarget(calls.list(id, 'RecoverApp'));
      for (const target of pending) {
        const instance = found.get(target.instanceId);
        const assessment = assessTarget(
          { facts: record.backup.facts },
          instance === undefined ? undefined : factsOf(instance),
        );
        if (assessment.verdict === 'ready') {
          // A target whose RecoverApp the cloud refused before acting waits out its back-off, within the window.
          const move = decide({
            history: replay(recoverSends.get(target.instanceId) ?? []),
            effect: 'not-taken',
            now: clock.now(),
            settings: startPolicy,
          });
          if (move.kind === 'send') ready.push(target.instanceId);
          else if (move.kind === 'wait') retryAt = Math.min(retryAt ?? move.at, move.at);
          else {
            const last = calls.list(id, 'RecoverApp').findLast((call) => call.instanceIds.includes(target.instanceId));
            update(id, target.instanceId, {
              state: 'failed',
              errorCode: last?.errorCode ?? 'RecoverNotSent',
              errorMessage: `the cloud kept refusing RecoverApp: ${last?.errorMessage ?? 'no answer'}`,
            });
          }
        } else if (assessment.verdict === 'needs-start') {
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
        // A cancel recorded while an earlier chunk was on its way stops the chunks not yet sent.
        if (cancelledMidStep(id)) break;
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
          if (classifyFailure(error) === 'not-acted') {
            // The cloud did nothing: the targets go back to pending and are sent again after a back-off.
            repos.db.transaction(() => {
              calls.settle(
                callId,
                { status: 'refused', errorCode: failure.code, errorMessage: failure.message },
                clock.now(),
              );
              for (const instanceId of ids) update(id, instanceId, { callId: null });
            })();
            retryAt = Math.min(retryAt ?? Number.POSITIVE_INFINITY, clock.now() + settings.pollIntervalMs);
            continue;
          }
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
    if (retryAt !== undefined) return void requests.wakeAt(id, Math.max(retryAt, clock.now() + 1), clock.now());
    moveTo(id, 'track');
  }

  function track(id: string, instanceId: string, taskId: string): void {
    update(id, instanceId, { state: 'submitted', taskId });
    tasks.add({ taskId, requestId: id, instanceId }, clock.now() + settings.pollIntervalMs, clock.now());
  }

  /** A call recorded 'sent' with no answer kept (the bot stopped mid-call): nothing to look it up by. Say so. */
  /**
   * A RecoverApp a crash left unanswered has no RequestId to look its tasks up by, so the bot looks for restore tasks on
   * its targets that the bot does not track yet and that began after the call was recorded (or have not begun), once
   * they would show; it tracks those. A target without one is reported plainly: RecoverApp is never sent again, because
   * a second restore would uninstall the apps again.
   */
  async function lookUpLostCall(
    id: string,
    call: { id: number; instanceIds: readonly string[]; sentAt: number },
  ): Promise<void> {
    const visibleAt = call.sentAt + LOST_CALL_GRACE_MS;
    if (clock.now() < visibleAt) {
      requests.wakeAt(id, visibleAt, clock.now());
      throw new RetryLater('look up a RecoverApp left unanswered');
    }
    let found: Awaited<ReturnType<typeof cloud.describeTasks>>;
    try {
      found = await cloud.describeTasks({
        resourceIds: [...call.instanceIds],
        taskTypes: [RECOVER_TASK_TYPE],
        level: 2,
      });
    } catch (error) {
      logger.warn(
        { requestId: id, err: error },
        'could not look up the tasks of a RecoverApp left unanswered; will retry',
      );
      retryLater(id);
      throw new RetryLater('look up a RecoverApp left unanswered');
    }
    const since = call.sentAt - CLOUD_CLOCK_SKEW_MS;
    const byInstance = new Map<string, string>();
    for (const task of found) {
      if (!task.instanceId || !call.instanceIds.includes(task.instanceId) || tasks.get(task.taskId)) continue;
      if (task.type !== RECOVER_TASK_TYPE) continue;
      const began = task.startTime === undefined ? undefined : Date.parse(task.startTime);
      if (began !== undefined && !(began >= since)) continue;
      byInstance.set(task.instanceId, task.taskId);
    }
    repos.db.transaction(() => {
      for (const instanceId of call.instanceIds) {
        const taskId = byInstance.get(instanceId);
        if (taskId) {
          track(id, instanceId, taskId);
          continue;
        }
        update(id, instanceId, {
          state: 'failed',
          errorCode: 'OutcomeUnknown',
          errorMessage:
            'the bot stopped while sending RecoverApp and found no restore task for it on this instance; it did not send it again, because a second restore would uninstall the apps again. Check the instance before retrying.',
        });
      }
      calls.settle(
        call.id,
        {
          status: 'reconciled',
          errorCode: 'OutcomeUnknown',
          errorMessage: `${byInstance.size} of ${call.instanceIds.length} found`,
        },
        clock.now(),
      );
    })();
    logger.info(
      { requestId: id, found: byInstance.size, sent: call.instanceIds.length },
      'looked up a RecoverApp left unanswered by a restart',
    );
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
    moveTo(id, 'verify');
  }

  function finish(id: string): void {
    const record = load(id);
    requests.finish(id, finalRestoreStatus(record), clock.now());
    deps.onFinished?.(load(id));
  }

  const verify = createVerifyStep({
    repos,
    cloud,
    clock,
    logger,
    sizeTolerance: settings.verifySizeTolerance,
    finish,
  });

  return { announce, start, submit, track: trackStep, verify, finish, firstChange, notApproved };
}

export type RestoreWorkflow = ReturnType<typeof createRestoreWorkflow>;
