/**
 * The state machine of asynchronous work: what stop, start, backup, restore and delete do to instances and backup
 * files over time, alongside their tasks (tasks.ts), as §3.1, §3.2, §3.6 and §3.8 describe.
 *
 * Callers validate first (see operations/); these functions assume the request is acceptable and only schedule.
 */

import { restoreApps, snapshotApps } from './apps.js';
import { compactTime } from './format.js';
import {
  appDataBytes,
  type BackupFileStatus,
  type ImageFacts,
  type InstanceStatus,
  type SimBackupFile,
  type SimInstance,
  type SimState,
  type SimTask,
} from './state.js';
import { complete, createBatch, injected, markProcessing, type TaskOutcome } from './tasks.js';

/** Allowed source states, from the operation descriptions (§3.8). */
export const STOPPABLE: readonly InstanceStatus[] = ['RUNNING', 'BACKUP_FAILED', 'RECOVER_FAILED'];
export const STARTABLE: readonly InstanceStatus[] = ['STOPPED', 'BACKUP_FAILED', 'RECOVER_FAILED'];
/** Any settled state; the docs only advise stopping first (§3.1). A busy instance is refused. */
export const BACKUPABLE: readonly InstanceStatus[] = ['RUNNING', 'STOPPED', 'BACKUP_FAILED', 'RECOVER_FAILED'];
/** "The target must be active (running)" (§3.2). */
export const RECOVERABLE_TARGET: readonly InstanceStatus[] = ['RUNNING'];
export const RECOVERABLE_FILE: readonly BackupFileStatus[] = [
  'AVAILABLE',
  'RECOVERING',
  'RECOVERY_FAILED',
  'PART_BACKUP_FINISHED',
];
export const DELETABLE_FILE: readonly BackupFileStatus[] = [
  'AVAILABLE',
  'BACKUP_FAILED',
  'RECOVERY_FAILED',
  'PART_BACKUP_FINISHED',
  'DELETING',
];

/** Task error codes for failures the simulator produces on its own (not a published catalogue, see api-error.ts). */
export const TASK_ERRORS = {
  appNotInstalled: 'AppNotInstalled',
  appDataChanged: 'AppDataChanged',
  filePathNotFound: 'FilePathNotFound',
  imageTypeMismatch: 'ImageTypeMismatch',
  imageVersionMismatch: 'ImageVersionMismatch',
  architectureMismatch: 'ArchitectureMismatch',
} as const;

export function imageFactsOf(instance: SimInstance): ImageFacts {
  const { imageId, imageVersion, bizImageType, instanceType, serverType, systemVersion } = instance;
  return { imageId, imageVersion, bizImageType, instanceType, serverType, systemVersion };
}

/** StopAndroidInstance / StartAndroidInstance: STOPPING → STOPPED or STARTING → RUNNING. */
export function beginPowerChange(
  state: SimState,
  now: number,
  kind: 'stop' | 'start',
  instances: SimInstance[],
  invokeId: string,
): SimTask {
  const { timing } = state.config;
  const type = kind === 'stop' ? 'StopInstance' : 'StartInstance';
  const { parent, children } = createBatch(state, now, type, invokeId, instances, '{}');
  for (const instance of instances) {
    const child = children.get(instance.id)!;
    const prior = instance.status;
    const token = state.holdStatus(instance, kind === 'stop' ? 'STOPPING' : 'STARTING', now);
    const failure = state.takeInjectedFailure(instance.id);
    state.timeline.schedule(now + timing.taskWaitMs, `${type} ${instance.id} processing`, (at) => {
      markProcessing(state, child, at);
      const duration = kind === 'stop' ? timing.stopMs : timing.startMs;
      state.timeline.schedule(at + duration, `${type} ${instance.id} done`, (end) => {
        if (failure) {
          state.releaseStatus(instance, token, prior, end);
          complete(state, child, end, injected(failure));
          return;
        }
        state.releaseStatus(instance, token, kind === 'stop' ? 'STOPPED' : 'RUNNING', end);
        if (instance.statusToken === token) instance.errorCode = '';
        complete(state, child, end, { ok: true });
      });
    });
  }
  return parent;
}

export interface BackupRequest {
  instances: SimInstance[];
  apps: string[];
  /** OSS directory, ending in `/`. */
  dir: string;
  uploadEndpoint: string;
  fileName?: string | undefined;
  description?: string | undefined;
}

export interface BackupEntry {
  instance: SimInstance;
  file: SimBackupFile;
  task: SimTask;
}

/** `taken` holds every existing file path; the new path is added to it. */
function uniqueBackupPath(taken: Set<string>, dir: string, instanceId: string, now: number): string {
  const stem = `${dir}${instanceId}_${compactTime(now)}`;
  let path = `${stem}.ab`;
  for (let n = 2; taken.has(path); n++) path = `${stem}_${n}.ab`;
  taken.add(path);
  return path;
}

function backupOutcome(state: SimState, instance: SimInstance, apps: string[], wasRunning: boolean): TaskOutcome {
  const missing = apps.filter((app) => !instance.packages.includes(app));
  if (missing.length > 0) {
    return {
      ok: false,
      code: TASK_ERRORS.appNotInstalled,
      message: `App ${missing.join(', ')} is not installed on instance ${instance.id}.`,
    };
  }
  // Documented: using a running instance during a backup may make it fail. Drawn only for running instances, so
  // the seed decides which of them fail and stopped instances never do.
  if (wasRunning && state.outcomes() < state.config.runningBackupFailureRate) {
    return {
      ok: false,
      code: TASK_ERRORS.appDataChanged,
      message: 'App data changed while it was being backed up. Stop the instance before backing up.',
    };
  }
  return { ok: true };
}

/** BackupApp: one backup file and one instance task per instance. */
export function beginBackup(
  state: SimState,
  now: number,
  request: BackupRequest,
  invokeId: string,
): { parent: SimTask; entries: BackupEntry[] } {
  const { timing } = state.config;
  const param = JSON.stringify({ SourceAppList: request.apps, BackupFilePath: request.dir });
  const { parent, children } = createBatch(state, now, 'BackupFile', invokeId, request.instances, param);
  const entries: BackupEntry[] = [];
  // Collected once per call: a set of every file path built for each instance made 10,000 backups quadratic (minutes).
  const taken = new Set([...state.backupFiles.values()].map((file) => file.path));
  for (const instance of request.instances) {
    const task = children.get(instance.id)!;
    const prior = instance.status;
    const token = state.holdStatus(instance, 'BACKUPING', now);
    instance.errorCode = '';
    instance.lastRate = 0;
    const path = uniqueBackupPath(taken, request.dir, instance.id, now);
    const file: SimBackupFile = {
      id: state.ids.backupFile(),
      name: request.fileName ?? path.slice(path.lastIndexOf('/') + 1),
      path,
      instanceId: instance.id,
      instanceName: instance.name,
      groupId: instance.groupId,
      status: 'BACKUPING',
      sizeBytes: 0,
      apps: [...request.apps],
      uploadType: 'OSS',
      uploadEndpoint: request.uploadEndpoint,
      description: request.description ?? '',
      regionId: instance.regionId,
      taskId: task.id,
      createdAt: now,
      modifiedAt: now,
      source: imageFactsOf(instance),
      recoveriesInFlight: 0,
      recoveryFailed: false,
      appDetails: snapshotApps(instance, request.apps),
      seq: state.nextSeq(),
    };
    state.backupFiles.set(file.id, file);
    entries.push({ instance, file, task });
    const failure = state.takeInjectedFailure(instance.id);

    state.timeline.schedule(now + timing.taskWaitMs, `BackupApp ${instance.id} processing`, (at) => {
      markProcessing(state, task, at);
      if (instance.statusToken === token) instance.progress = { startedAt: at, endsAt: at + timing.backupMs };
      const outcome = failure ? injected(failure) : backupOutcome(state, instance, request.apps, prior === 'RUNNING');
      state.timeline.schedule(at + timing.backupMs, `BackupApp ${instance.id} done`, (end) => {
        const mine = instance.statusToken === token;
        if (mine) {
          // A failed backup never reports 100 %.
          instance.lastRate = outcome.ok ? 100 : Math.min(99, state.rateOf(instance, end));
          instance.progress = undefined;
        }
        file.modifiedAt = end;
        if (outcome.ok) {
          file.status = 'AVAILABLE';
          file.sizeBytes = request.apps.reduce((sum, app) => sum + appDataBytes(instance.id, app), 0);
          state.releaseStatus(instance, token, prior, end);
        } else {
          file.status = 'BACKUP_FAILED';
          state.releaseStatus(instance, token, 'BACKUP_FAILED', end);
          if (mine) instance.errorCode = outcome.code;
        }
        complete(state, task, end, outcome);
      });
    });
  }
  return { parent, entries };
}

export interface RecoverRequest {
  instances: SimInstance[];
  file: SimBackupFile;
  /** The BackupFilePath the caller sent; must name the file's object. */
  path: string;
}

/** §3.1 caveat 3: no restore across image kinds, image versions or architectures. */
export function compatibilityProblem(source: ImageFacts, target: ImageFacts): TaskOutcome {
  if (source.bizImageType !== target.bizImageType) {
    return {
      ok: false,
      code: TASK_ERRORS.imageTypeMismatch,
      message: `The backup was made on a ${source.bizImageType} image; the target runs a ${target.bizImageType} image.`,
    };
  }
  if (source.imageVersion !== target.imageVersion) {
    return {
      ok: false,
      code: TASK_ERRORS.imageVersionMismatch,
      message: `The backup was made on image version ${source.imageVersion}; the target runs ${target.imageVersion}.`,
    };
  }
  if (source.serverType !== target.serverType) {
    return {
      ok: false,
      code: TASK_ERRORS.architectureMismatch,
      message: `The backup was made on ${source.serverType}; the target is ${target.serverType}.`,
    };
  }
  return { ok: true };
}

/** RecoverApp: installs the file's apps on each target (replacing existing ones, §3.2). */
export function beginRecover(state: SimState, now: number, request: RecoverRequest, invokeId: string): SimTask {
  const { timing } = state.config;
  const { file } = request;
  const param = JSON.stringify({ BackupFileId: file.id, BackupFilePath: request.path });
  const { parent, children } = createBatch(state, now, 'RecoverFile', invokeId, request.instances, param);
  if (file.recoveriesInFlight === 0) file.recoveryFailed = false;
  file.recoveriesInFlight += request.instances.length;
  file.status = 'RECOVERING';
  file.modifiedAt = now;

  for (const instance of request.instances) {
    const task = children.get(instance.id)!;
    const token = state.holdStatus(instance, 'RECOVERING', now);
    instance.errorCode = '';
    instance.lastRate = 0;
    const failure = state.takeInjectedFailure(instance.id);

    state.timeline.schedule(now + timing.taskWaitMs, `RecoverApp ${instance.id} processing`, (at) => {
      markProcessing(state, task, at);
      let outcome: TaskOutcome = failure ? injected(failure) : { ok: true };
      if (!failure && request.path !== file.path) {
        outcome = {
          ok: false,
          code: TASK_ERRORS.filePathNotFound,
          message: `The backup file ${request.path} does not exist.`,
        };
      } else if (!failure) {
        outcome = compatibilityProblem(file.source, imageFactsOf(instance));
      }
      // Checks the service can make up front fail fast; a real restore (or an injected failure) takes the full time.
      const endsAt = outcome.ok || failure ? at + timing.recoverMs : at;
      if (instance.statusToken === token && endsAt > at) instance.progress = { startedAt: at, endsAt };
      state.timeline.schedule(endsAt, `RecoverApp ${instance.id} done`, (end) => {
        const mine = instance.statusToken === token;
        if (mine) {
          instance.lastRate = outcome.ok ? 100 : Math.min(99, state.rateOf(instance, end));
          instance.progress = undefined;
        }
        if (outcome.ok) {
          // An app that already exists is uninstalled first, then the backed-up one installed: net, it is present,
          // with the backup's version and data.
          restoreApps(instance, file, state.appFaults.get(instance.id));
          state.releaseStatus(instance, token, 'RUNNING', end);
        } else {
          file.recoveryFailed = true;
          state.releaseStatus(instance, token, 'RECOVER_FAILED', end);
          if (mine) instance.errorCode = outcome.code;
        }
        file.recoveriesInFlight--;
        if (file.recoveriesInFlight === 0) {
          file.status = file.recoveryFailed ? 'RECOVERY_FAILED' : 'AVAILABLE';
          file.modifiedAt = end;
        }
        complete(state, task, end, outcome);
      });
    });
  }
  return parent;
}

/** DeleteBackupFile: `DELETING` for a while, then gone. Deleting a file that is already going is a no-op. */
export function beginDelete(state: SimState, now: number, files: SimBackupFile[]): void {
  for (const file of files) {
    if (file.status === 'DELETING') continue;
    file.status = 'DELETING';
    file.modifiedAt = now;
    state.timeline.schedule(now + state.config.timing.deleteMs, `delete ${file.id}`, () => {
      state.backupFiles.delete(file.id);
    });
  }
}
