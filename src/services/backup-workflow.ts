/**
 * The backup workflow as a sequence of idempotent steps over SQLite state. The engine runs whichever step a request
 * is at; each step records what it did before moving on, so a restart resumes where the bot stopped, and a mutating
 * cloud call that may have taken effect is looked up (reconciled), never sent twice.
 */
import type { Logger } from 'pino';
import type { InstanceRecord } from '../db/backup-requests.js';
import type { Repositories } from '../db/index.js';
import { CloudApiError } from '../errors.js';
import type { CloudFailure, InstanceProgress, RequestStatus } from './model.js';
import type { BackupCloud, BackupNotifier, Clock } from './ports.js';

export interface WorkflowSettings {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  stopTimeoutMs: number;
  taskTimeoutMs: number;
  progressUpdateMs: number;
  /** Largest instance list one BackupApp / Stop / Start call takes. */
  maxInstancesPerCall: number;
}

export interface WorkflowDeps {
  repos: Repositories;
  cloud: BackupCloud;
  notifier: BackupNotifier;
  clock: Clock;
  settings: WorkflowSettings;
  logger: Logger;
  /** Told once when a request reaches its final state (the audit trail records the outcome). */
  onFinished?: (request: NonNullable<ReturnType<Repositories['requests']['get']>>) => void;
}

/** States in which BackupApp can take the instance (docs §3.8: the same states Start accepts, plus stopped). */
const BACKUP_READY = new Set(['STOPPED', 'BACKUP_FAILED', 'RECOVER_FAILED']);
const ANNOUNCE_GIVE_UP_MS = 2 * 60_000;

/** A marker the bot adds to every backup's Description, so its own backup files can be found again. */
export function requestMarker(requestId: string): string {
  return `[slack-bot ${requestId}]`;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export function failureOf(error: unknown): CloudFailure {
  if (error instanceof CloudApiError) {
    return {
      code: error.apiCode,
      message: error.apiMessage,
      requestId: error.requestId,
      outcomeUnknown: error.outcomeUnknown,
    };
  }
  return { code: 'InternalError', message: error instanceof Error ? error.message : String(error) };
}

export function finalStatus(instances: readonly InstanceProgress[]): RequestStatus {
  const succeeded = instances.filter((instance) => instance.state === 'succeeded').length;
  if (succeeded === instances.length) return 'succeeded';
  return succeeded > 0 ? 'partial' : 'failed';
}

export function createBackupWorkflow(deps: WorkflowDeps) {
  const { repos, cloud, notifier, clock, settings, logger } = deps;
  const { requests, calls, tasks, outbox } = repos;

  function load(id: string) {
    const record = requests.get(id);
    if (!record) throw new Error(`backup request ${id} vanished`);
    return record;
  }

  function moveTo(id: string, step: Parameters<typeof requests.setStep>[1], delayMs = 0): void {
    const now = clock.now();
    requests.setStep(id, step, now + delayMs, now);
  }

  /** Ends the request: final status and the completion reply queued in the same transaction. */
  function finish(id: string): void {
    const record = load(id);
    const now = clock.now();
    repos.db.transaction(() => {
      requests.finish(id, finalStatus(record.instances), now);
      outbox.enqueue(id, 'completion', now);
    })();
    deps.onFinished?.(load(id));
  }

  function failWholeRequest(id: string, error: unknown, instances: readonly InstanceRecord[]): void {
    const failure = failureOf(error);
    requests.setFailure(id, failure, clock.now());
    for (const instance of instances) {
      if (instance.state === 'succeeded' || instance.state === 'failed' || instance.state === 'skipped') continue;
      requests.updateInstance(id, instance.instanceId, {
        state: 'failed',
        errorCode: failure.code,
        errorMessage: failure.message,
        requestId: failure.requestId,
      });
    }
  }

  async function announce(id: string): Promise<void> {
    const record = load(id);
    try {
      const parent = await notifier.announce(record);
      requests.setParent(id, parent.channel, parent.ts, clock.now());
    } catch (error) {
      // Slack being down must not block the backup for long: retry a while, then go on and reply unthreaded.
      if (clock.now() - record.stepStartedAt < ANNOUNCE_GIVE_UP_MS) {
        logger.warn({ requestId: id, err: error }, 'could not post the parent message; retrying');
        requests.wakeAt(id, clock.now() + settings.pollIntervalMs, clock.now());
        return;
      }
      logger.error({ requestId: id, err: error }, 'giving up on the parent message; the reply will be unthreaded');
    }
    requests.setStatus(id, 'running', clock.now());
    moveTo(id, 'lookup');
  }

  async function lookup(id: string): Promise<void> {
    const record = load(id);
    let found: Awaited<ReturnType<BackupCloud['describeInstances']>>;
    try {
      found = await cloud.describeInstances({ instanceIds: record.instances.map((i) => i.instanceId) });
    } catch (error) {
      failWholeRequest(id, error, record.instances);
      finish(id);
      return;
    }
    const byId = new Map(found.map((instance) => [instance.instanceId, instance]));
    let toStop = 0;
    let ready = 0;
    for (const instance of record.instances) {
      const facts = byId.get(instance.instanceId);
      if (!facts) {
        requests.updateInstance(id, instance.instanceId, {
          state: 'skipped',
          errorCode: 'InstanceNotFound',
          errorMessage: 'no instance with this id in this account and region',
        });
        continue;
      }
      const kind = facts.bizImageType
        ? facts.bizImageType.toLowerCase() === 'system'
          ? 'public'
          : 'custom'
        : undefined;
      const recorded = {
        imageId: facts.imageId,
        imageVersion: facts.imageVersion,
        instanceType: facts.instanceType,
        imageKind: kind,
        serverType: facts.serverType,
      };
      if (facts.status === 'RUNNING' && record.spec.stopBeforeBackup) {
        requests.updateInstance(id, instance.instanceId, { ...recorded, state: 'stopping' });
        toStop++;
      } else if (facts.status === 'STOPPING') {
        requests.updateInstance(id, instance.instanceId, { ...recorded, state: 'stopping' });
        toStop++;
      } else if (BACKUP_READY.has(facts.status) || facts.status === 'RUNNING') {
        requests.updateInstance(id, instance.instanceId, { ...recorded, state: 'pending' });
        ready++;
      } else {
        requests.updateInstance(id, instance.instanceId, {
          ...recorded,
          state: 'skipped',
          errorCode: 'UnsuitableStatus',
          errorMessage: `the instance is ${facts.status}; a backup needs it stopped (or running)`,
        });
      }
    }
    if (toStop > 0) moveTo(id, 'stop');
    else if (ready > 0) moveTo(id, 'submit');
    else finish(id);
  }

  async function stop(id: string): Promise<void> {
    const record = load(id);
    const stopping = record.instances.filter((i) => i.state === 'stopping');
    if (calls.count(id, 'StopAndroidInstance') === 0) {
      const running = await currentStatuses(stopping.map((i) => i.instanceId));
      if (running === undefined) return retryLater(id);
      const toStop = stopping.filter((i) => running.get(i.instanceId) === 'RUNNING').map((i) => i.instanceId);
      for (const ids of chunk(toStop, settings.maxInstancesPerCall)) {
        const callId = calls.begin(id, 'StopAndroidInstance', ids, clock.now());
        for (const instanceId of ids) requests.updateInstance(id, instanceId, { stoppedByBot: true });
        try {
          const result = await cloud.stopInstances(ids);
          calls.settle(callId, { status: 'accepted', cloudRequestId: result.requestId }, clock.now());
        } catch (error) {
          const failure = failureOf(error);
          // Unknown outcome: the status poll below tells whether the stop took effect.
          calls.settle(
            callId,
            {
              status: failure.outcomeUnknown ? 'unknown' : 'failed',
              errorCode: failure.code,
              errorMessage: failure.message,
            },
            clock.now(),
          );
          if (!failure.outcomeUnknown) {
            for (const instanceId of ids) {
              requests.updateInstance(id, instanceId, {
                state: 'skipped',
                stoppedByBot: false,
                errorCode: failure.code,
                errorMessage: `could not stop it before the backup: ${failure.message}`,
                requestId: failure.requestId,
              });
            }
          }
        }
      }
    }
    const stillStopping = load(id).instances.filter((i) => i.state === 'stopping');
    if (stillStopping.length > 0) {
      const statuses = await currentStatuses(stillStopping.map((i) => i.instanceId));
      if (statuses === undefined) return retryLater(id);
      const timedOut = clock.now() - record.stepStartedAt > settings.stopTimeoutMs;
      let waiting = 0;
      for (const instance of stillStopping) {
        const status = statuses.get(instance.instanceId);
        if (status === 'STOPPED') requests.updateInstance(id, instance.instanceId, { state: 'pending' });
        else if (timedOut || status === undefined || !['RUNNING', 'STOPPING'].includes(status)) {
          requests.updateInstance(id, instance.instanceId, {
            state: 'skipped',
            errorCode: timedOut ? 'StopTimeout' : 'UnsuitableStatus',
            errorMessage: timedOut
              ? `the instance did not reach STOPPED in time (last seen ${status ?? 'missing'})`
              : `the instance went ${status ?? 'missing'} while the bot waited for it to stop`,
          });
        } else waiting++;
      }
      if (waiting > 0) return retryLater(id);
    }
    if (load(id).instances.some((i) => i.state === 'pending')) moveTo(id, 'submit');
    else moveTo(id, 'start');
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
    // First settle any call left 'sent' by a crash: find what it created instead of sending it again.
    for (const call of calls.list(id, 'BackupApp')) {
      if (call.status === 'sent') await reconcileBackupCall(id, call.id, call.instanceIds);
    }
    const fresh = load(id).instances.filter((i) => i.state === 'pending' && i.callId === undefined);
    for (const instances of chunk(fresh, settings.maxInstancesPerCall)) {
      const ids = instances.map((i) => i.instanceId);
      const callId = repos.db.transaction(() => {
        const newId = calls.begin(id, 'BackupApp', ids, clock.now());
        for (const instanceId of ids) requests.updateInstance(id, instanceId, { callId: newId });
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
              requests.updateInstance(id, instanceId, {
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
        if (failure.outcomeUnknown) {
          calls.settle(
            callId,
            { status: 'unknown', errorCode: failure.code, errorMessage: failure.message },
            clock.now(),
          );
          await reconcileBackupCall(id, callId, ids, failure);
        } else {
          calls.settle(
            callId,
            { status: 'failed', errorCode: failure.code, errorMessage: failure.message },
            clock.now(),
          );
          for (const instanceId of ids) {
            requests.updateInstance(id, instanceId, {
              state: 'failed',
              errorCode: failure.code,
              errorMessage: failure.message,
              requestId: failure.requestId,
            });
          }
          if (ids.length === record.instances.length) requests.setFailure(id, failure, clock.now());
        }
      }
    }
    moveTo(id, 'track');
  }

  function trackSubmitted(
    id: string,
    instanceId: string,
    item: { backupFileId?: string | undefined; backupFileName?: string | undefined; taskId?: string | undefined },
  ): void {
    requests.updateInstance(id, instanceId, {
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
   * request's marker in their Description). What is found is tracked; what is not is reported, never re-sent.
   */
  async function reconcileBackupCall(id: string, callId: number, ids: string[], cause?: CloudFailure): Promise<void> {
    let files: Awaited<ReturnType<BackupCloud['describeBackupFiles']>>;
    try {
      files = await cloud.describeBackupFiles({ description: requestMarker(id) });
    } catch (error) {
      logger.warn({ requestId: id, err: error }, 'could not look up backup files to reconcile; will retry');
      requests.wakeAt(id, clock.now() + settings.pollIntervalMs, clock.now());
      throw new ReconcileLater();
    }
    const byInstance = new Map(files.filter((f) => f.instanceId).map((f) => [f.instanceId as string, f]));
    repos.db.transaction(() => {
      for (const instanceId of ids) {
        const file = byInstance.get(instanceId);
        if (file?.taskId) {
          trackSubmitted(id, instanceId, file);
          continue;
        }
        requests.updateInstance(id, instanceId, {
          state: 'failed',
          errorCode: 'OutcomeUnknown',
          errorMessage:
            'the bot could not tell whether BackupApp reached the cloud and found no backup file from it; it did not resend, to avoid a second backup. Check `/cloudphone backups` before retrying.',
          requestId: cause?.requestId,
        });
      }
      calls.settle(callId, { status: 'reconciled', errorCode: cause?.code }, clock.now());
    })();
  }

  async function track(id: string): Promise<void> {
    const record = load(id);
    const open = tasks.openCount(id);
    if (open > 0) {
      if (clock.now() - record.stepStartedAt > settings.taskTimeoutMs) {
        for (const instance of record.instances.filter((i) => i.state === 'submitted')) {
          if (instance.taskId) tasks.markFinished(instance.taskId, 'TimedOut', clock.now());
          requests.updateInstance(id, instance.instanceId, {
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
    if (!record.instances.some((i) => i.backupFileId)) return;
    try {
      const files = await cloud.describeBackupFiles({ description: requestMarker(id) });
      const byId = new Map(files.map((file) => [file.backupFileId, file]));
      for (const instance of record.instances) {
        const file = instance.backupFileId ? byId.get(instance.backupFileId) : undefined;
        if (!file) continue;
        requests.updateInstance(id, instance.instanceId, {
          sizeBytes: file.sizeBytes,
          backupFilePath: file.backupFilePath,
          backupFileName: file.backupFileName ?? instance.backupFileName,
        });
      }
    } catch (error) {
      logger.warn({ requestId: id, err: error }, 'could not read backup file details; reporting without sizes');
    }
  }

  async function start(id: string): Promise<void> {
    const record = load(id);
    if (record.spec.startAfterBackup && calls.count(id, 'StartAndroidInstance') === 0) {
      const toStart = record.instances
        .filter((i) => i.stoppedByBot && i.restart === undefined)
        .map((i) => i.instanceId);
      for (const ids of chunk(toStart, settings.maxInstancesPerCall)) {
        const callId = calls.begin(id, 'StartAndroidInstance', ids, clock.now());
        try {
          const result = await cloud.startInstances(ids);
          calls.settle(callId, { status: 'accepted', cloudRequestId: result.requestId }, clock.now());
          for (const instanceId of ids) requests.updateInstance(id, instanceId, { restart: { ok: true } });
        } catch (error) {
          const failure = failureOf(error);
          calls.settle(
            callId,
            { status: failure.outcomeUnknown ? 'unknown' : 'failed', errorCode: failure.code },
            clock.now(),
          );
          for (const instanceId of ids) {
            requests.updateInstance(id, instanceId, {
              restart: { ok: false, errorCode: failure.code, errorMessage: failure.message },
            });
          }
        }
      }
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

/** Thrown when a reconciliation lookup failed; the step runs again later. */
export class ReconcileLater extends Error {
  constructor() {
    super('reconcile later');
  }
}

export type BackupWorkflow = ReturnType<typeof createBackupWorkflow>;
