/**
 * The backup workflow as a sequence of idempotent steps over SQLite state. The runner runs whichever step a request
 * is at (see steps.ts); each step records what it did before moving on, so a restart resumes where the bot stopped, and a mutating
 * cloud call that may have taken effect is looked up (reconciled), never sent twice.
 */
import type { Logger } from 'pino';
import { UNREADABLE_STATUS } from '../../cloud-phone/schema.js';
import type { InstanceRecord, WorkflowStep } from '../../db/backup-requests.js';
import type { CloudCallRecord } from '../../db/cloud-calls.js';
import type { Repositories } from '../../db/index.js';
import { imageKindOf } from '../fleet/instance-facts.js';
import { createAnnounceStep } from '../pipeline/announce.js';
import { CANCELLED } from '../pipeline/cancel.js';
import { chunk, failedCall, failureOf, isTransient } from '../pipeline/cloud-failure.js';
import { classifyFailure, decide, recordedFailure, replay, sendsByTarget } from '../pipeline/mutating-call.js';
import type { BackupCloud, Clock, RequestNotifier } from '../pipeline/ports.js';
import type { PowerKeeper } from '../pipeline/power-keeper.js';
import { RetryLater } from '../pipeline/retry-later.js';
import { type InstanceProbe, probeApps } from '../verify/probe.js';
import type { BackupRequestView, InstanceProgress, RequestStatus } from './model.js';

export interface WorkflowSettings {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  stopTimeoutMs: number;
  taskTimeoutMs: number;
  progressUpdateMs: number;
  /** Largest instance list one BackupApp / Stop / Start call takes. */
  maxInstancesPerCall: number;
  /** How long a step keeps retrying a transient cloud failure (throttling, 5xx, network) before reporting it. */
  transientRetryMs: number;
}

export interface WorkflowDeps {
  repos: Repositories;
  cloud: BackupCloud;
  notifier: RequestNotifier<BackupRequestView>;
  clock: Clock;
  settings: WorkflowSettings;
  logger: Logger;
  /** Owns starting again every phone the bot stopped (services/pipeline/power-keeper.ts). */
  power: PowerKeeper;
  /** Told once when a request reaches its final state (the audit trail records the outcome). */
  onFinished?: (request: NonNullable<ReturnType<Repositories['backups']['get']>>) => void;
}

/** States in which BackupApp can take the instance (docs §3.8: the same states Start accepts, plus stopped). */
const BACKUP_READY = new Set(['STOPPED', 'BACKUP_FAILED', 'RECOVER_FAILED']);
/** Sends of BackupApp per instance before an unclear outcome is reported instead of retried. */
const MAX_BACKUP_ATTEMPTS = 3;
const MAX_STOP_ATTEMPTS = 3;
/** How old the lookup's statuses may be for the stop step to use them instead of asking again. */
const LOOKUP_FRESH_MS = 2_000;

/** A marker the bot adds to every backup's Description, so its own backup files can be found again. */
export function requestMarker(requestId: string): string {
  return `[slack-bot ${requestId}]`;
}

/** True while a backup request's own steps still drive the phones it stopped (the power keeper leaves them alone). */
export function isBackupRunning(requests: Repositories['requests'], requestId: string): boolean {
  const header = requests.header(requestId);
  return header !== undefined && header.kind === 'backup' && !['draft', 'report', 'done'].includes(header.step);
}

/**
 * An instance whose BackupApp has not been sent (it waits to stop, or to be sent): what a cancel still stops. The
 * workflow's skip after a cancel and the Cancel answer's count both read it.
 */
export function backupNotSent<T extends Pick<InstanceRecord, 'state' | 'callId' | 'taskId'>>(
  instance: T,
): instance is T & { state: 'pending' | 'stopping' } {
  return (
    (instance.state === 'pending' || instance.state === 'stopping') &&
    instance.callId === undefined &&
    instance.taskId === undefined
  );
}

export function finalStatus(instances: readonly InstanceProgress[]): RequestStatus {
  const succeeded = instances.filter((instance) => instance.state === 'succeeded').length;
  if (succeeded === instances.length) return 'succeeded';
  if (succeeded > 0) return 'partial';
  // Nothing backed up, and every instance left out by a cancel (not a failure): the request was cancelled.
  const cancelled = instances.length > 0 && instances.every((instance) => instance.errorCode === CANCELLED);
  return cancelled ? 'cancelled' : 'failed';
}

export function createBackupWorkflow(deps: WorkflowDeps) {
  const { repos, cloud, notifier, clock, settings, logger } = deps;
  const { requests, backups, calls, tasks } = repos;
  /** Each request's statuses as its lookup read them, until its stop step takes them (see `takeLookup`). */
  const lookedUp = new Map<string, { at: number; statuses: Map<string, string> }>();
  /** How long after an unsettled mutating call its effects (files, statuses) should be visible to a lookup. */
  const reconcileGraceMs = Math.max(1_000, settings.pollIntervalMs * 2);
  const stopPolicy = {
    retryWindowMs: settings.transientRetryMs,
    backoffMs: settings.pollIntervalMs,
    maxBackoffMs: settings.maxPollIntervalMs,
    settleMs: reconcileGraceMs,
    // A call a crash left unanswered gets a whole window after the restart.
    windowOpensAt: clock.now(),
  };

  function load(id: string) {
    const record = backups.get(id);
    if (!record) throw new Error(`backup request ${id} vanished`);
    return record;
  }

  function moveTo(id: string, step: WorkflowStep, delayMs = 0): void {
    const now = clock.now();
    requests.setStep(id, step, now + delayMs, now);
  }

  /** Ends the request: final status and the completion reply queued in the same transaction. */
  function finish(id: string): void {
    const record = load(id);
    requests.finish(id, finalStatus(record.instances), clock.now());
    deps.onFinished?.(load(id));
  }

  function failWholeRequest(id: string, error: unknown, instances: readonly InstanceRecord[]): void {
    const failure = failureOf(error);
    requests.setFailure(id, failure, clock.now());
    for (const instance of instances) {
      if (instance.state === 'succeeded' || instance.state === 'failed' || instance.state === 'skipped') continue;
      backups.updateInstance(id, instance.instanceId, {
        state: 'failed',
        errorCode: failure.code,
        errorMessage: failure.message,
        requestId: failure.requestId,
      });
    }
  }

  const announce = createAnnounceStep({
    repos,
    notifier,
    clock,
    logger,
    load,
    retryMs: settings.pollIntervalMs,
    next: () => 'lookup',
  });

  async function lookup(id: string): Promise<void> {
    const record = load(id);
    let found: Awaited<ReturnType<BackupCloud['describeInstances']>>;
    try {
      found = await cloud.describeInstances({ instanceIds: record.instances.map((i) => i.instanceId) });
    } catch (error) {
      if (isTransient(error) && clock.now() - record.stepStartedAt < settings.transientRetryMs) {
        logger.warn({ requestId: id, err: error }, 'DescribeAndroidInstances failed; will try again');
        return retryLater(id);
      }
      failWholeRequest(id, error, record.instances);
      finish(id);
      return;
    }
    // When the statuses were read (the app probe below may take seconds): the stop step trusts them only while fresh.
    const lookedAt = clock.now();
    // A status the cloud sent in a form the bot could not read is "not known yet": look again, as after a failed call.
    if (
      found.some((i) => i.status === UNREADABLE_STATUS) &&
      clock.now() - record.stepStartedAt < settings.transientRetryMs
    ) {
      logger.warn({ requestId: id }, 'an instance status could not be read; will look again');
      return retryLater(id);
    }
    const byId = new Map(found.map((instance) => [instance.instanceId, instance]));
    const instanceNames = Object.fromEntries(found.flatMap((i) => (i.name ? [[i.instanceId, i.name]] : [])));
    if (Object.keys(instanceNames).length > 0) {
      requests.setDetail(id, { ...record.spec, instanceNames }, clock.now());
    }
    await recordAppFacts(id, record.spec.apps, found);
    let toStop = 0;
    let ready = 0;
    for (const instance of record.instances) {
      const facts = byId.get(instance.instanceId);
      if (!facts) {
        backups.updateInstance(id, instance.instanceId, {
          state: 'skipped',
          errorCode: 'InstanceNotFound',
          errorMessage: 'no instance with this id in this account and region',
        });
        continue;
      }
      const recorded = {
        imageId: facts.imageId,
        imageVersion: facts.imageVersion,
        instanceType: facts.instanceType,
        imageKind: imageKindOf(facts.bizImageType),
        serverType: facts.serverType,
      };
      if (facts.status === 'RUNNING' && record.spec.stopBeforeBackup) {
        backups.updateInstance(id, instance.instanceId, { ...recorded, state: 'stopping' });
        toStop++;
      } else if (facts.status === 'STOPPING') {
        backups.updateInstance(id, instance.instanceId, { ...recorded, state: 'stopping' });
        toStop++;
      } else if (BACKUP_READY.has(facts.status) || facts.status === 'RUNNING') {
        backups.updateInstance(id, instance.instanceId, { ...recorded, state: 'pending' });
        ready++;
      } else {
        backups.updateInstance(id, instance.instanceId, {
          ...recorded,
          state: 'skipped',
          errorCode: 'UnsuitableStatus',
          errorMessage: `the instance is ${facts.status}; a backup needs it stopped (or running)`,
        });
      }
    }
    const cancelled = skipUnsent(id);
    if (toStop > cancelled.stopping) {
      lookedUp.set(id, { at: lookedAt, statuses: new Map(found.map((i) => [i.instanceId, i.status])) });
      moveTo(id, 'stop');
    } else if (ready > cancelled.pending) moveTo(id, 'submit');
    else finish(id);
  }

  /**
   * Records each app's facts on the sources before anything stops them (issue 17): a restore from these backups is
   * later compared with them. Only running phones can answer; the others are recorded as not probed, and a probe
   * that finds nothing never holds the backup up.
   */
  async function recordAppFacts(
    id: string,
    apps: readonly string[],
    found: Awaited<ReturnType<BackupCloud['describeInstances']>>,
  ): Promise<void> {
    const notRunning = new Set(found.filter((i) => i.status !== 'RUNNING').map((i) => i.instanceId));
    let probes: Map<string, InstanceProbe>;
    try {
      probes = await probeApps(cloud, {
        instanceIds: found.map((i) => i.instanceId),
        packages: apps,
        launch: false,
        notRunning,
      });
    } catch (error) {
      logger.warn({ requestId: id, err: error }, 'could not record the apps before the backup');
      return;
    }
    const status = new Map(found.map((i) => [i.instanceId, i.status]));
    repos.db.transaction(() => {
      for (const [instanceId, probe] of probes) {
        const kept = !probe.ok && probe.miss === 'not-running' ? { ...probe, detail: status.get(instanceId) } : probe;
        repos.appFacts.recordSource(id, instanceId, kept, clock.now());
      }
    })();
  }

  /**
   * After a cancel: every instance whose backup was not sent is skipped, saying so. Runs inside the steps (never
   * between a BackupApp's record and its call), so it cannot race the sending. Returns how many it skipped, by state.
   */
  function skipUnsent(id: string): { pending: number; stopping: number } {
    const record = load(id);
    const skipped = { pending: 0, stopping: 0 };
    if (!record.cancelled) return skipped;
    for (const instance of record.instances) {
      if (!backupNotSent(instance)) continue;
      skipped[instance.state]++;
      backups.updateInstance(id, instance.instanceId, {
        state: 'skipped',
        errorCode: CANCELLED,
        errorMessage: 'the request was cancelled before its backup was sent to the cloud',
      });
    }
    return skipped;
  }

  /** True, once what was not sent is skipped, when a cancel was recorded while the step ran: it sends nothing more. */
  function cancelledMidStep(id: string): boolean {
    if (!load(id).cancelled) return false;
    skipUnsent(id);
    return true;
  }

  /**
   * Stops the running instances that were asked to be stopped, and waits until each is STOPPED. Each stop is sent
   * and resolved by the mutating-call policy: a refusal that says the cloud did nothing is sent again after a
   * back-off, an unknown outcome is looked at (a phone still RUNNING a while later did not stop) before it is.
   */
  async function stop(id: string): Promise<void> {
    skipUnsent(id);
    const record = load(id);
    const stopping = record.instances.filter((i) => i.state === 'stopping');
    const statuses =
      takeLookup(id, calls.list(id, 'StopAndroidInstance').length === 0) ??
      (await currentStatuses(stopping.map((i) => i.instanceId)));
    const timedOut = clock.now() - record.stepStartedAt > settings.stopTimeoutMs;
    if (statuses === undefined && !timedOut) return retryLater(id);

    const sends = sendsByTarget(calls.list(id, 'StopAndroidInstance'));
    const toStop: string[] = [];
    let waiting = 0;
    for (const instance of stopping) {
      const status = statuses?.get(instance.instanceId);
      if (status === 'STOPPED') {
        backups.updateInstance(id, instance.instanceId, { state: 'pending' });
        continue;
      }
      if (timedOut || status === undefined || !['RUNNING', 'STOPPING', UNREADABLE_STATUS].includes(status)) {
        backups.updateInstance(id, instance.instanceId, {
          state: 'skipped',
          errorCode: timedOut ? 'StopTimeout' : 'UnsuitableStatus',
          errorMessage: timedOut
            ? `the instance did not reach STOPPED in time (last seen ${status ?? 'unknown'})`
            : `the instance went ${status ?? 'missing'} while the bot waited for it to stop`,
        });
        continue;
      }
      const move = decide({
        history: replay(sends.get(instance.instanceId) ?? []),
        effect: status === 'RUNNING' ? 'not-taken' : 'taken',
        now: clock.now(),
        settings: { ...stopPolicy, maxIneffective: MAX_STOP_ATTEMPTS },
      });
      if (move.kind === 'give-up') {
        const last = calls.list(id, 'StopAndroidInstance').findLast((c) => c.instanceIds.includes(instance.instanceId));
        backups.updateInstance(id, instance.instanceId, {
          state: 'skipped',
          stoppedByBot: false,
          errorCode: last?.errorCode ?? 'StopFailed',
          errorMessage: `could not stop it before the backup: ${last?.errorMessage ?? 'the instance stayed RUNNING'}`,
        });
        continue;
      }
      waiting++;
      if (move.kind === 'send') toStop.push(instance.instanceId);
    }
    for (const ids of chunk(toStop, settings.maxInstancesPerCall)) {
      // A cancel recorded while the statuses were read (or an earlier chunk sent) stops no more phones.
      if (cancelledMidStep(id)) break;
      // The bot owes these phones a start from the moment the stop may reach the cloud.
      const callId = repos.db.transaction(() => {
        deps.power.hold(id, ids);
        for (const instanceId of ids) backups.updateInstance(id, instanceId, { stoppedByBot: true });
        return calls.begin(id, 'StopAndroidInstance', ids, clock.now());
      })();
      await sendRecorded(callId, () => cloud.stopInstances(ids));
    }
    if (waiting > 0) return retryLater(id);
    if (load(id).instances.some((i) => i.state === 'pending')) moveTo(id, 'submit');
    else moveTo(id, 'start');
  }

  /** Makes a recorded call and settles its record with the policy's reading of the answer. */
  async function sendRecorded(callId: number, send: () => Promise<{ requestId: string }>): Promise<void> {
    try {
      const result = await send();
      calls.settle(callId, { status: 'accepted', cloudRequestId: result.requestId }, clock.now());
    } catch (error) {
      calls.settle(callId, recordedFailure(error), clock.now());
    }
  }

  /**
   * The statuses the lookup just read, for the stop step that follows it at once: asking the cloud again a few
   * milliseconds later would cost one more DescribeAndroidInstances per 100 phones of the account's call quota. Used
   * once, only before any stop was sent and while fresh; kept in memory, so after a restart the stop step looks.
   */
  function takeLookup(id: string, nothingSentYet: boolean): Map<string, string> | undefined {
    const seen = lookedUp.get(id);
    lookedUp.delete(id);
    if (!seen || !nothingSentYet || clock.now() - seen.at > LOOKUP_FRESH_MS) return undefined;
    return seen.statuses;
  }

  async function currentStatuses(ids: string[]): Promise<Map<string, string> | undefined> {
    if (ids.length === 0) return new Map();
    try {
      const found = await cloud.describeInstances({ instanceIds: ids });
      return new Map(found.map((instance) => [instance.instanceId, instance.status]));
    } catch (error) {
      logger.warn({ err: error }, 'DescribeAndroidInstances failed; will look again');
      return undefined;
    }
  }

  function retryLater(id: string): void {
    requests.wakeAt(id, clock.now() + settings.pollIntervalMs, clock.now());
  }

  async function submit(id: string): Promise<void> {
    const record = load(id);
    // Calls whose outcome is unknown (a crash after 'sent', a timeout, a 5xx) are reconciled before anything is sent
    // again, once their backup files would be visible; only instances the call provably did not reach are re-sent.
    let waitUntil: number | undefined;
    for (const call of calls.list(id, 'BackupApp')) {
      if (call.status !== 'sent' && call.status !== 'unknown') continue;
      const due = call.sentAt + reconcileGraceMs;
      if (clock.now() < due) {
        waitUntil = Math.min(waitUntil ?? due, due);
        continue;
      }
      await reconcileBackupCall(id, call);
    }
    if (waitUntil !== undefined) return void requests.wakeAt(id, waitUntil, clock.now());

    skipUnsent(id);
    const attempts = attemptsByInstance(id);
    const sends = sendsByTarget(calls.list(id, 'BackupApp'));
    const fresh: string[] = [];
    let retryAt: number | undefined;
    for (const instance of load(id).instances) {
      if (instance.state !== 'pending' || instance.callId !== undefined) continue;
      if ((attempts.get(instance.instanceId) ?? 0) >= MAX_BACKUP_ATTEMPTS) {
        backups.updateInstance(id, instance.instanceId, gaveUp(lastAnswer(id, instance.instanceId)));
        continue;
      }
      // A pending instance without a call was never reached (or a look proved the call did not reach it).
      const move = decide({
        history: replay(sends.get(instance.instanceId) ?? []),
        effect: 'not-taken',
        now: clock.now(),
        settings: { ...stopPolicy, maxIneffective: 1 },
      });
      if (move.kind === 'wait') {
        retryAt = Math.min(retryAt ?? move.at, move.at);
        continue;
      }
      if (move.kind === 'give-up') {
        const last = calls.list(id, 'BackupApp').findLast((c) => c.instanceIds.includes(instance.instanceId));
        backups.updateInstance(id, instance.instanceId, {
          state: 'failed',
          errorCode: last?.errorCode ?? 'BackupNotSent',
          errorMessage: `the cloud kept refusing BackupApp for ${Math.round(settings.transientRetryMs / 1000)} s: ${last?.errorMessage ?? 'no answer'}`,
          // The RequestId of the cloud's last answer, for a support ticket.
          requestId: last?.cloudRequestId,
        });
        continue;
      }
      fresh.push(instance.instanceId);
    }
    let unsettled = false;
    let refused = false;
    for (const ids of chunk(fresh, settings.maxInstancesPerCall)) {
      // A cancel recorded while an earlier chunk was on its way stops the chunks not yet sent.
      if (cancelledMidStep(id)) break;
      const callId = repos.db.transaction(() => {
        const newId = calls.begin(id, 'BackupApp', ids, clock.now());
        for (const instanceId of ids) backups.updateInstance(id, instanceId, { callId: newId });
        return newId;
      })();
      try {
        const result = await cloud.backupApp({
          instanceIds: ids,
          apps: record.spec.apps,
          backupFilePath: record.spec.backupPath,
          uploadEndpoint: record.spec.uploadEndpoint,
          backupFileName: record.spec.backupFileName,
          description: [record.spec.description, requestMarker(id)].filter(Boolean).join(' '),
        });
        repos.db.transaction(() => {
          calls.settle(
            callId,
            { status: 'accepted', cloudRequestId: result.requestId, batchTaskId: result.taskId },
            clock.now(),
          );
          const items = new Map(result.items.map((item) => [item.instanceId, item]));
          for (const instanceId of ids) {
            const item = items.get(instanceId);
            if (!item) {
              backups.updateInstance(id, instanceId, {
                state: 'failed',
                errorCode: 'NotAccepted',
                errorMessage: 'BackupApp answered without a task for this instance',
                requestId: result.requestId,
              });
              continue;
            }
            trackSubmitted(id, instanceId, item);
          }
        })();
      } catch (error) {
        const failure = failureOf(error);
        if (classifyFailure(error) === 'not-acted') {
          // The cloud did nothing: the instances go back to pending and are sent again after a back-off.
          repos.db.transaction(() => {
            calls.settle(
              callId,
              { status: 'refused', errorCode: failure.code, errorMessage: failure.message },
              clock.now(),
            );
            for (const instanceId of ids) backups.updateInstance(id, instanceId, { callId: null });
          })();
          refused = true;
          logger.warn({ requestId: id, code: failure.code }, 'BackupApp refused before acting; will send it again');
          continue;
        }
        if (failure.outcomeUnknown) {
          // Not re-sent now: reconciled after the grace period (see above).
          calls.settle(callId, failedCall(failure), clock.now());
          unsettled = true;
          logger.warn({ requestId: id, code: failure.code }, 'BackupApp outcome unknown; will reconcile');
          continue;
        }
        calls.settle(callId, failedCall(failure), clock.now());
        for (const instanceId of ids) {
          backups.updateInstance(id, instanceId, {
            state: 'failed',
            errorCode: failure.code,
            errorMessage: failure.message,
            requestId: failure.requestId,
          });
        }
        if (ids.length === record.instances.length) requests.setFailure(id, failure, clock.now());
      }
    }
    if (unsettled) return void requests.wakeAt(id, clock.now() + reconcileGraceMs, clock.now());
    if (refused) return retryLater(id);
    if (retryAt !== undefined) return void requests.wakeAt(id, retryAt, clock.now());
    moveTo(id, 'track');
  }

  /** The last BackupApp call that named the instance, as the ledger keeps its answer. */
  function lastAnswer(id: string, instanceId: string): CloudCallRecord | undefined {
    return calls
      .list(id, 'BackupApp')
      .filter((call) => call.instanceIds.includes(instanceId))
      .at(-1);
  }

  /** BackupApp sends per instance whose outcome was unclear (refusals, which did nothing, do not count). */
  function attemptsByInstance(id: string): Map<string, number> {
    const attempts = new Map<string, number>();
    for (const call of calls.list(id, 'BackupApp')) {
      if (call.status === 'refused') continue;
      for (const instanceId of call.instanceIds) attempts.set(instanceId, (attempts.get(instanceId) ?? 0) + 1);
    }
    return attempts;
  }

  function trackSubmitted(
    id: string,
    instanceId: string,
    item: { backupFileId?: string | undefined; backupFileName?: string | undefined; taskId?: string | undefined },
  ): void {
    backups.updateInstance(id, instanceId, {
      state: 'submitted',
      taskId: item.taskId,
      backupFileId: item.backupFileId,
      backupFileName: item.backupFileName,
    });
    if (item.taskId)
      tasks.add({ taskId: item.taskId, requestId: id, instanceId }, clock.now() + settings.pollIntervalMs, clock.now());
  }

  /**
   * A BackupApp call whose outcome is unknown: look for the backup files it would have created (they carry this
   * request's marker in their Description). Instances with a file are tracked; instances without one were not
   * reached by the call, so they go back to pending and are sent again (a bounded number of times).
   */
  async function reconcileBackupCall(id: string, call: CloudCallRecord): Promise<void> {
    const { id: callId, instanceIds: ids } = call;
    let files: Awaited<ReturnType<BackupCloud['describeBackupFiles']>>;
    try {
      files = await cloud.describeBackupFiles({ description: requestMarker(id) });
    } catch (error) {
      logger.warn({ requestId: id, err: error }, 'could not look up backup files to reconcile; will retry');
      requests.wakeAt(id, clock.now() + settings.pollIntervalMs, clock.now());
      throw new RetryLater('reconcile BackupApp');
    }
    const byInstance = new Map(files.filter((f) => f.instanceId).map((f) => [f.instanceId as string, f]));
    let found = 0;
    repos.db.transaction(() => {
      for (const instanceId of ids) {
        const file = byInstance.get(instanceId);
        if (file?.taskId) {
          found++;
          trackSubmitted(id, instanceId, file);
        } else {
          backups.updateInstance(id, instanceId, { callId: null });
        }
      }
      // The call's answer stays in the ledger (lastAnswer reads it); what the lookup found is logged below.
      calls.settle(
        callId,
        {
          status: 'reconciled',
          cloudRequestId: call.cloudRequestId,
          errorCode: call.errorCode,
          errorMessage: call.errorMessage,
        },
        clock.now(),
      );
    })();
    logger.info({ requestId: id, found, sent: ids.length }, 'reconciled a BackupApp call with an unknown outcome');
  }

  async function track(id: string): Promise<void> {
    const record = load(id);
    const open = tasks.openCount(id);
    if (open > 0) {
      if (clock.now() - record.stepStartedAt > settings.taskTimeoutMs) {
        for (const instance of record.instances.filter((i) => i.state === 'submitted')) {
          if (instance.taskId) tasks.markFinished(instance.taskId, 'TimedOut', clock.now());
          backups.updateInstance(id, instance.instanceId, {
            state: 'failed',
            errorCode: 'TaskTimeout',
            errorMessage: 'the backup task did not finish in time; the bot stopped watching it',
          });
        }
      } else {
        // The poller wakes this request when its last task ends; this is only a safety net.
        return void requests.wakeAt(id, clock.now() + settings.maxPollIntervalMs, clock.now());
      }
    }
    await fillFileDetails(id);
    moveTo(id, 'start');
  }

  /** Sizes and object paths come from DescribeBackupFiles, one paged call per request via the marker. */
  async function fillFileDetails(id: string): Promise<void> {
    const record = load(id);
    if (!record.instances.some((i) => i.backupFileId || i.taskId)) return;
    try {
      const files = await cloud.describeBackupFiles({ description: requestMarker(id) });
      const byId = new Map(files.map((file) => [file.backupFileId, file]));
      // BackupApp may answer without an instance's BackupFileId: its file is then the one made by its task.
      const byTask = new Map(files.filter((file) => file.taskId).map((file) => [file.taskId, file]));
      for (const instance of record.instances) {
        const file = instance.backupFileId
          ? byId.get(instance.backupFileId)
          : instance.taskId
            ? byTask.get(instance.taskId)
            : undefined;
        if (!file) continue;
        backups.updateInstance(id, instance.instanceId, {
          backupFileId: file.backupFileId,
          sizeBytes: file.sizeBytes,
          backupFilePath: file.backupFilePath,
          backupFileName: file.backupFileName ?? instance.backupFileName,
        });
      }
    } catch (error) {
      logger.warn({ requestId: id, err: error }, 'could not read backup file details; reporting without sizes');
    }
  }

  /**
   * Starts again the phones this request stopped (the power keeper resolves every failure of the start) and finishes
   * once each is running again or the bot had to leave it stopped, which the reply then says loudly.
   */
  async function start(id: string): Promise<void> {
    const record = load(id);
    if (!record.spec.startAfterBackup) {
      deps.power.forget(id);
      return finish(id);
    }
    const restart = await deps.power.restartFor(id);
    if (!restart.done) return void requests.wakeAt(id, restart.wakeAt, clock.now());
    const left = new Map(restart.left.map((phone) => [phone.instanceId, phone]));
    for (const instance of record.instances.filter((i) => i.stoppedByBot)) {
      const phone = left.get(instance.instanceId);
      backups.updateInstance(id, instance.instanceId, {
        restart: phone ? { ok: false, errorCode: phone.errorCode, errorMessage: phone.errorMessage } : { ok: true },
      });
    }
    finish(id);
  }

  return {
    announce,
    lookup,
    stop,
    submit,
    track,
    start,
    finish,
  };
}

export type BackupWorkflow = ReturnType<typeof createBackupWorkflow>;

/**
 * An instance the bot stopped sending BackupApp for: the cloud's last answer (its code, message and RequestId, e.g. a
 * 503's `ServiceUnavailable`) when there was one, then what the bot did; `OutcomeUnknown` (the bot's code) otherwise.
 */
function gaveUp(last: CloudCallRecord | undefined) {
  const what = `BackupApp sent ${MAX_BACKUP_ATTEMPTS} times without a clear answer and no backup file appeared, so the bot stopped; check \`/cloudphone backups\` before retrying.`;
  const answered = last?.errorCode !== undefined && last.errorCode !== 'OutcomeUnknown';
  return {
    state: 'failed' as const,
    errorCode: answered ? last.errorCode : 'OutcomeUnknown',
    errorMessage: answered && last.errorMessage ? `${last.errorMessage.slice(0, 120)} — ${what}` : what,
    requestId: last?.cloudRequestId,
  };
}
