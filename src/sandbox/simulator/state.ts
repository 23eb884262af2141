/**
 * The simulated account: instances, tasks and backup files, plus the timeline of transitions still to come.
 * Everything here is plain data that tests may read and change; `settle(now)` applies whatever time has made due.
 * Wire names and enums follow cloud-phone-api.md §4.
 */

import type { AppFaults, SimApp } from './apps.js';
import { type IdGenerator, type Rng, stableId } from './random.js';
import { Timeline } from './timeline.js';

export const INSTANCE_STATUSES = [
  'CREATING',
  'FAILED',
  'STARTING',
  'RUNNING',
  'STOPPING',
  'STOPPED',
  'REBOOTING',
  'RESETTING',
  'BACKUPING',
  'BACKUP_FAILED',
  'RECOVERING',
  'RECOVER_FAILED',
  'UNAVAILABLE',
  'DELETING',
  'DELETED',
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const BACKUP_FILE_STATUSES = [
  'AVAILABLE',
  'BACKUPING',
  'RECOVERING',
  'DELETING',
  'BACKUP_FAILED',
  'RECOVERY_FAILED',
  'PART_BACKUP_FINISHED',
] as const;
export type BackupFileStatus = (typeof BACKUP_FILE_STATUSES)[number];

export const TASK_STATUSES = ['Waiting', 'Processing', 'Finished', 'PartFinished', 'Failed', 'Skipped'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['Finished', 'PartFinished', 'Failed', 'Skipped'];

/**
 * `StartInstance`/`StopInstance` are documented task types (§4.3). The types of BackupApp and RecoverApp tasks are
 * UNCONFIRMED; we use the operation names. Clients should find tasks by id, ParentTaskId or InvokeId, not type.
 */
/**
 * Task types from the documented list (§4.3). The types of BackupApp/RecoverApp tasks are not documented: the service
 * lists `BackupFile` and `RecoverFile` for its app and file backups, so those are used.
 */
export const TASK_TYPES = ['StartInstance', 'StopInstance', 'BackupFile', 'RecoverFile'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** `System` for public images; `User` for custom ones (the wire values are UNCONFIRMED, §3.9). */
export type BizImageType = 'System' | 'User';

export interface Timing {
  /** RUNNING → STOPPED, counted from when the stop task starts processing. */
  stopMs: number;
  /** STOPPED → RUNNING, likewise. */
  startMs: number;
  /** How long a new task sits in `Waiting` before `Processing`. */
  taskWaitMs: number;
  /**
   * How long a batch (Level 1) task lags behind its last child before it reports its final status; the real service
   * aggregates asynchronously, so a client must not expect parent and children to finish in the same instant.
   */
  taskProcessMs: number;
  /** `Processing` time of one instance's app backup. */
  backupMs: number;
  /** `Processing` time of one instance's app restore. */
  recoverMs: number;
  /** A deleted backup file shows `DELETING` this long, then disappears. */
  deleteMs: number;
}

export const DEFAULT_TIMING: Timing = {
  stopMs: 3000,
  startMs: 4000,
  taskWaitMs: 1000,
  taskProcessMs: 500,
  backupMs: 6000,
  recoverMs: 5000,
  deleteMs: 2000,
};

/** A tenth of the default, for `--fast` demos. */
export const FAST_TIMING: Timing = {
  stopMs: 300,
  startMs: 400,
  taskWaitMs: 100,
  taskProcessMs: 50,
  backupMs: 600,
  recoverMs: 500,
  deleteMs: 200,
};

/** Facts about the image and hardware that decide whether a backup can be restored on an instance (§3.1 caveat 3). */
export interface ImageFacts {
  imageId: string;
  imageVersion: string;
  bizImageType: BizImageType;
  instanceType: string;
  /** Stands for the architecture, as in the docs' `cpm.gx7.10xlarge` vs `cpm.gx8.16xlarge` example. */
  serverType: string;
  systemVersion: string;
}

export interface SimInstance extends ImageFacts {
  id: string;
  name: string;
  status: InstanceStatus;
  groupId: string;
  groupName: string;
  regionId: string;
  zoneId: string;
  cpu: number;
  memoryMb: number;
  privateIp: string;
  /** Installed third-party packages, as `pm list packages -3` would list them. */
  packages: string[];
  /** Version and data size of installed packages that a restore or a test set (others get made-up ones: apps.ts). */
  appDetails: Record<string, SimApp>;
  createdAt: number;
  modifiedAt: number;
  /** Why the last backup or restore failed; empty otherwise. */
  errorCode: string;
  /** While a backup or restore is processing, its window; `Rate` is computed from it. */
  progress?: { startedAt: number; endsAt: number } | undefined;
  /** Rate (%) when no operation is processing. */
  lastRate: number;
  /**
   * Bumped by whatever takes charge of the status (an operation, or a test forcing a status). A scheduled transition
   * applies only if it still holds the token, so a test's `setInstanceStatus` is never undone by a stale event.
   */
  statusToken: number;
  seq: number;
}

export interface SimTask {
  id: string;
  type: TaskType;
  status: TaskStatus;
  level: 1 | 2;
  parentId?: string | undefined;
  childIds: string[];
  /** RequestId of the call that created the task. */
  invokeId: string;
  instanceId?: string | undefined;
  createdAt: number;
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
  errorCode: string;
  errorMsg: string;
  /** JSON of the request parameters that matter to the task (the `Param` field). */
  param: string;
  regionId: string;
  seq: number;
}

export interface SimBackupFile {
  id: string;
  name: string;
  /** Full object path, `oss://bucket/dir/acp-…_yyyyMMddHHmmss.ab`. */
  path: string;
  instanceId: string;
  instanceName: string;
  groupId: string;
  status: BackupFileStatus;
  sizeBytes: number;
  apps: string[];
  uploadType: 'OSS';
  uploadEndpoint: string;
  description: string;
  regionId: string;
  taskId: string;
  createdAt: number;
  modifiedAt: number;
  /** The source instance's image and hardware when backed up. Not on the wire (§3.5), but restore checks it. */
  source: ImageFacts;
  /** Each app's version and data size when backed up; a restore puts these on the target. Not on the wire. */
  appDetails: Record<string, SimApp>;
  recoveriesInFlight: number;
  /** Whether a restore failed since the file last went into `RECOVERING`. */
  recoveryFailed: boolean;
  seq: number;
}

export interface InjectedFailure {
  code: string;
  message: string;
}

export interface StateConfig {
  timing: Timing;
  /** Probability that backing up a RUNNING instance fails (§3.1 caveat 1). */
  runningBackupFailureRate: number;
}

export class SimState {
  readonly instances = new Map<string, SimInstance>();
  readonly tasks = new Map<string, SimTask>();
  readonly backupFiles = new Map<string, SimBackupFile>();
  /** Failures queued by `failNextTask`, consumed by the next instance-level task of that instance. */
  readonly injectedFailures = new Map<string, InjectedFailure[]>();
  /** Faults in what an instance's apps look like after a restore, and in its commands (`setAppFaults`). */
  readonly appFaults = new Map<string, AppFaults>();
  readonly timeline = new Timeline();
  private seqCounter = 0;

  constructor(
    readonly config: StateConfig,
    readonly ids: IdGenerator,
    /** Decides task outcomes that are left to chance. */
    readonly outcomes: Rng,
  ) {}

  nextSeq(): number {
    return ++this.seqCounter;
  }

  settle(now: number): void {
    this.timeline.runUntil(now);
  }

  /** Takes charge of an instance's status; returns the token a later transition must still hold. */
  holdStatus(instance: SimInstance, status: InstanceStatus, at: number): number {
    instance.status = status;
    instance.modifiedAt = at;
    instance.statusToken++;
    return instance.statusToken;
  }

  /** Sets the status only if nothing else took charge since `token` was handed out. */
  releaseStatus(instance: SimInstance, token: number, status: InstanceStatus, at: number): void {
    if (instance.statusToken !== token || !this.instances.has(instance.id)) return;
    instance.status = status;
    instance.modifiedAt = at;
  }

  takeInjectedFailure(instanceId: string): InjectedFailure | undefined {
    const queue = this.injectedFailures.get(instanceId);
    const failure = queue?.shift();
    if (queue && queue.length === 0) this.injectedFailures.delete(instanceId);
    return failure;
  }

  rateOf(instance: SimInstance, now: number): number {
    const { progress } = instance;
    if (!progress) return instance.lastRate;
    const span = progress.endsAt - progress.startedAt;
    if (span <= 0) return 100;
    return Math.max(0, Math.min(100, Math.floor(((now - progress.startedAt) / span) * 100)));
  }
}

/**
 * Bytes of app data that a backup of `packageName` on `instanceId` produces: stable per pair, 2–64 MiB, so
 * FileSize is realistic and reproducible without storing anything.
 */
export function appDataBytes(instanceId: string, packageName: string): number {
  const digits = stableId('', `${instanceId}/${packageName}`, 6);
  const fraction = Number.parseInt(digits, 36) / 36 ** 6;
  return Math.floor(2 * 1024 * 1024 + fraction * 62 * 1024 * 1024);
}
