/**
 * The eds-aic 2023-09-30 operations the bot calls, on one endpoint: parameter names and list encodings as the API
 * documents them, id lists split to the API's limits, every page followed. How a call travels (signing, retries,
 * timeouts) is transport.ts; what a failure means is failures.ts; response shapes are schema.ts.
 */
import { CloudApiError } from '../errors.js';
import { chunk, paginate } from './pagination.js';
import {
  type BackupAppResult,
  BackupAppResult as BackupAppResultSchema,
  type BackupFile,
  type CommandOutput,
  DescribeAndroidInstancesResponse,
  DescribeBackupFilesResponse,
  type DescribeTasksResponse,
  type Instance,
  type RecoverAppResult,
  RecoverAppResult as RecoverAppResultSchema,
  RequestIdResult,
  RunSyncCommandResponse,
  type Task,
  type UnusableItem,
} from './schema.js';
import { describeTasksParser } from './task-page.js';
import { createTransport, type TransportOptions } from './transport.js';

export { MAX_PAGES, PAGE_SIZE } from './pagination.js';
export { API_VERSION, type CallEvent, DEFAULT_TIMEOUT_MS } from './transport.js';

/** The API's limit for instance-id lists (and most other lists) in one call. */
export const MAX_INSTANCES_PER_CALL = 100;
/** RunSyncCommand takes at most 50 instances per call (doc §3.10). */
export const MAX_COMMAND_INSTANCES_PER_CALL = 50;

/** One field of one listed item that the client could not use (see schema.ts, itemList). */
export interface UnusableItemEvent extends UnusableItem {
  /** The API action whose answer held the item, e.g. `DescribeTasks`. */
  action: string;
}

export interface CloudPhoneClientOptions extends TransportOptions {
  /**
   * Called for every field of a listed item that could not be used as it came (the rest of the answer is used). The
   * bot logs a warning and counts it. Exceptions from it are ignored.
   */
  onUnusableItem?: ((event: UnusableItemEvent) => void) | undefined;
}

export interface DescribeInstancesQuery {
  /** An empty list means "none", never "all": it returns [] without a call. */
  instanceIds?: readonly string[] | undefined;
  /** Wire status, e.g. `RUNNING` (doc §4.1). */
  status?: string | undefined;
  instanceGroupIds?: readonly string[] | undefined;
}

export interface BackupAppRequest {
  instanceIds: readonly string[];
  /** Package names, e.g. `com.example.app`. */
  apps: readonly string[];
  /** OSS directory, `oss://cloudphone-saved-bucket-…/dir/`. */
  backupFilePath: string;
  /** OSS endpoint, e.g. `oss-cn-shanghai-internal.aliyuncs.com`. */
  uploadEndpoint: string;
  backupFileName?: string | undefined;
  description?: string | undefined;
}

export interface RecoverAppRequest {
  instanceIds: readonly string[];
  backupFileId: string;
  /** The backup's full object path as DescribeBackupFiles returns it. */
  backupFilePath: string;
  uploadEndpoint?: string | undefined;
}

export interface DescribeTasksQuery {
  /** An empty list means "none": it returns [] without a call. */
  taskIds?: readonly string[] | undefined;
  parentTaskId?: string | undefined;
  /** The RequestId of the call whose tasks you want (e.g. of StopAndroidInstance). */
  invokeId?: string | undefined;
  /** 1 = batch tasks, 2 = instance tasks. */
  level?: 1 | 2 | undefined;
  /** Tasks on these resources (instance ids), at most 100. */
  resourceIds?: readonly string[] | undefined;
  /** Tasks of these types (§4.3), at most 100. */
  taskTypes?: readonly string[] | undefined;
  /**
   * The region the caller knows the tasks are in (from their instances): the regional client asks only that region
   * about tasks it has not seen yet. A client of one endpoint ignores it.
   */
  region?: string | undefined;
}

export interface DescribeBackupFilesQuery {
  backupFileId?: string | undefined;
  instanceId?: string | undefined;
  /** Fuzzy match on the service side. */
  backupFileName?: string | undefined;
  /** Fuzzy match on the service side; the bot finds its own backups by a marker it puts in the description. */
  description?: string | undefined;
  /** e.g. `AVAILABLE`, `BACKUP_FAILED` (doc §4.2). */
  statuses?: readonly string[] | undefined;
  /** Stop after this many pages (newest first is not guaranteed). Default: all pages. */
  maxPages?: number | undefined;
}

export interface RunSyncCommandRequest {
  instanceIds: readonly string[];
  command: string;
  /** How long the service waits for the output, 500–3000 ms (API default 1000). */
  waitTimeMs?: number | undefined;
}

export interface CloudPhoneApi {
  /** DescribeAndroidInstances: all pages, instance ids in chunks of 100. */
  describeInstances(query?: DescribeInstancesQuery): Promise<Instance[]>;
  /** StopAndroidInstance for at most 100 instances. Track it with describeTasks({invokeId: requestId}). */
  stopInstances(
    instanceIds: readonly string[],
    options?: { force?: boolean | undefined },
  ): Promise<{ requestId: string }>;
  /** StartAndroidInstance for at most 100 instances. */
  startInstances(instanceIds: readonly string[]): Promise<{ requestId: string }>;
  /** BackupApp for at most 100 instances. */
  backupApp(request: BackupAppRequest): Promise<BackupAppResult>;
  /** RecoverApp (UploadType=OSS) for at most 100 instances. */
  recoverApp(request: RecoverAppRequest): Promise<RecoverAppResult>;
  /** DescribeTasks: all pages, task ids in chunks of 100. */
  describeTasks(query?: DescribeTasksQuery): Promise<Task[]>;
  /** DescribeBackupFiles: all pages (or maxPages). */
  describeBackupFiles(query?: DescribeBackupFilesQuery): Promise<BackupFile[]>;
  /** DeleteBackupFile for at most 100 backup files. */
  deleteBackupFiles(backupFileIds: readonly string[]): Promise<{ requestId: string }>;
  /**
   * RunSyncCommand, 50 instances per call. Treated as read-only and therefore retried: use it only for commands that
   * are safe to run twice.
   */
  runSyncCommand(request: RunSyncCommandRequest): Promise<CommandOutput[]>;
  /**
   * Third-party packages per instance, from `pm list packages -3`. Instances whose command did not succeed are absent
   * from the map (unknown is not the same as "no apps").
   */
  listInstalledPackages(instanceIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Closes the connection pool this client created (an injected dispatcher is left alone). */
  close(): Promise<void>;
}

function tooMany(action: string, what: string, count: number, max: number): CloudApiError {
  return new CloudApiError({
    apiCode: 'TooManyItems',
    apiMessage: `${action} takes at most ${max} ${what} per call, got ${count}; split the request`,
    action,
  });
}

function missing(action: string, what: string): CloudApiError {
  return new CloudApiError({ apiCode: 'MissingParameter', apiMessage: `${action} needs at least one ${what}`, action });
}

export function createCloudPhoneClient(options: CloudPhoneClientOptions): CloudPhoneApi {
  const transport = createTransport(options);

  /** Passes on what an answer set aside, and returns the answer's usable items. */
  function usable<I>(action: string, answer: { unusable?: UnusableItem[] | undefined }, items: I[]): I[] {
    for (const item of answer.unusable ?? []) {
      try {
        options.onUnusableItem?.({ action, ...item });
      } catch {
        // A logging hook must never break a cloud call.
      }
    }
    return items;
  }

  function checkLimit(action: string, what: string, items: readonly unknown[] | undefined, max: number): void {
    if (items !== undefined && items.length > max) throw tooMany(action, what, items.length, max);
  }

  function checkMutatingIds(action: string, what: string, items: readonly string[]): void {
    if (items.length === 0) throw missing(action, what);
    checkLimit(action, what, items, MAX_INSTANCES_PER_CALL);
  }

  async function runSyncCommand(request: RunSyncCommandRequest): Promise<CommandOutput[]> {
    const out: CommandOutput[] = [];
    for (const ids of chunk(request.instanceIds, MAX_COMMAND_INSTANCES_PER_CALL)) {
      const result = await transport.invoke(
        'RunSyncCommand',
        { InstanceIds: ids, CommandContent: request.command, WaitTime: request.waitTimeMs },
        RunSyncCommandResponse,
        false,
      );
      out.push(...usable('RunSyncCommand', result, result.outputs));
    }
    return out;
  }

  const api: CloudPhoneApi = {
    async describeInstances(query = {}) {
      const action = 'DescribeAndroidInstances';
      checkLimit(action, 'instance group ids', query.instanceGroupIds, MAX_INSTANCES_PER_CALL);
      const base = { Status: query.status, InstanceGroupIds: query.instanceGroupIds?.slice() };
      const pick = (r: DescribeAndroidInstancesResponse) => usable(action, r, r.instances);
      if (query.instanceIds === undefined) {
        return paginate(transport, action, base, DescribeAndroidInstancesResponse, pick);
      }
      const out: Instance[] = [];
      for (const ids of chunk(query.instanceIds, MAX_INSTANCES_PER_CALL)) {
        out.push(
          ...(await paginate(
            transport,
            action,
            { ...base, AndroidInstanceIds: ids },
            DescribeAndroidInstancesResponse,
            pick,
          )),
        );
      }
      return out;
    },

    async stopInstances(instanceIds, stopOptions = {}) {
      const action = 'StopAndroidInstance';
      checkMutatingIds(action, 'instance id', instanceIds);
      return transport.invoke(
        action,
        { AndroidInstanceIds: instanceIds.slice(), ForceStop: stopOptions.force },
        RequestIdResult,
        true,
      );
    },

    async startInstances(instanceIds) {
      const action = 'StartAndroidInstance';
      checkMutatingIds(action, 'instance id', instanceIds);
      return transport.invoke(action, { AndroidInstanceIds: instanceIds.slice() }, RequestIdResult, true);
    },

    async backupApp(request) {
      const action = 'BackupApp';
      checkMutatingIds(action, 'instance id', request.instanceIds);
      if (request.apps.length === 0) throw missing(action, 'app');
      checkLimit(action, 'apps', request.apps, MAX_INSTANCES_PER_CALL);
      const result = await transport.invoke(
        action,
        {
          AndroidInstanceIdList: request.instanceIds.slice(),
          SourceAppList: request.apps.slice(),
          BackupFilePath: request.backupFilePath,
          UploadEndpoint: request.uploadEndpoint,
          BackupFileName: request.backupFileName,
          Description: request.description,
        },
        BackupAppResultSchema,
        true,
      );
      usable(action, result, result.items);
      return result;
    },

    async recoverApp(request) {
      const action = 'RecoverApp';
      checkMutatingIds(action, 'instance id', request.instanceIds);
      const result = await transport.invoke(
        action,
        {
          AndroidInstanceIdList: request.instanceIds.slice(),
          BackupFileId: request.backupFileId,
          BackupFilePath: request.backupFilePath,
          UploadType: 'OSS',
          UploadEndpoint: request.uploadEndpoint,
        },
        RecoverAppResultSchema,
        true,
      );
      usable(action, result, result.items);
      return result;
    },

    async describeTasks(query = {}) {
      const action = 'DescribeTasks';
      checkLimit(action, 'resource ids', query.resourceIds, MAX_INSTANCES_PER_CALL);
      checkLimit(action, 'task types', query.taskTypes, MAX_INSTANCES_PER_CALL);
      const base = {
        ParentTaskId: query.parentTaskId,
        InvokeId: query.invokeId,
        Level: query.level,
        ResourceIds: query.resourceIds?.slice(),
        TaskTypes: query.taskTypes?.slice(),
      };
      const pick = (r: DescribeTasksResponse) => usable(action, r, r.tasks);
      if (query.taskIds === undefined) return paginate(transport, action, base, describeTasksParser, pick);
      const out: Task[] = [];
      for (const ids of chunk(query.taskIds, MAX_INSTANCES_PER_CALL)) {
        out.push(...(await paginate(transport, action, { ...base, TaskIds: ids }, describeTasksParser, pick)));
      }
      return out;
    },

    async describeBackupFiles(query = {}) {
      const action = 'DescribeBackupFiles';
      checkLimit(action, 'statuses', query.statuses, MAX_INSTANCES_PER_CALL);
      if (query.maxPages !== undefined && (!Number.isInteger(query.maxPages) || query.maxPages < 1)) {
        throw new RangeError('maxPages must be a positive integer');
      }
      return paginate(
        transport,
        action,
        {
          BackupFileId: query.backupFileId,
          AndroidInstanceId: query.instanceId,
          BackupFileName: query.backupFileName,
          Description: query.description,
          StatusList: query.statuses?.slice(),
        },
        DescribeBackupFilesResponse,
        (r) => usable(action, r, r.backupFiles),
        query.maxPages,
      );
    },

    async deleteBackupFiles(backupFileIds) {
      const action = 'DeleteBackupFile';
      checkMutatingIds(action, 'backup file id', backupFileIds);
      return transport.invoke(action, { BackupFileIdList: backupFileIds.slice() }, RequestIdResult, true);
    },

    runSyncCommand,

    async listInstalledPackages(instanceIds) {
      const outputs = await runSyncCommand({ instanceIds, command: 'pm list packages -3', waitTimeMs: 3000 });
      const result = new Map<string, string[]>();
      for (const output of outputs) {
        if (output.invocationStatus.toUpperCase() !== 'SUCCESS') continue;
        result.set(output.instanceId, parsePackageList(output.output));
      }
      return result;
    },

    close: () => transport.close(),
  };
  return api;
}

/** `package:com.example.app` lines from `pm list packages`, sorted and without duplicates. */
export function parsePackageList(output: string): string[] {
  const packages = new Set<string>();
  for (const line of output.split(/\r?\n/)) {
    const match = /^\s*package:([A-Za-z0-9_.]+)\s*$/.exec(line);
    if (match?.[1]) packages.add(match[1]);
  }
  return [...packages].sort();
}
