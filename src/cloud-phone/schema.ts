/**
 * Response schemas for the eds-aic 2023-09-30 operations this bot calls (shared/docs/cloud-phone-api.md §3).
 * Wire objects are PascalCase; every schema outputs the camelCase domain object. Only the fields we read are parsed,
 * and parsing is tolerant where the service is known to be sloppy: numbers sent as strings (`MaxResults: "10"`,
 * `TotalCount`, `Cpu`), `null` for absent fields, a missing `Data` array on an empty page.
 *
 * The official SDK treats every response field as optional, so one odd item must not cost the whole page: lists are
 * read item by item (`itemList`). A field that cannot be read is dropped (a status becomes UNREADABLE_STATUS, which
 * no flow takes for an end state), an item without a readable id is set aside, and each such case is reported in the
 * page's `unusable` list for a log line and a metric. Status values are kept as they came, known or not.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------------------
// Building blocks

/** A number, or a decimal string the service sent instead of a number. */
const LooseNumber = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);

/** Optional number: absent, `null` and `""` all mean "not given". */
const OptNumber = z
  .union([LooseNumber, z.literal(''), z.null()])
  .optional()
  .transform((v) => (typeof v === 'number' ? v : undefined));

/** Optional string: absent, `null` and `""` all mean "not given". */
const OptString = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : v));

/** A required, non-empty identifier or status. */
const Id = z.string().min(1);

/** A list that may be absent or `null` on an empty page. */
function list<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullish()
    .transform((v): z.output<T>[] => v ?? []);
}

const StringList = list(z.string());

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The status given to an item whose status field could not be read. It is no status the service uses, so every flow
 * treats it as "not there yet, look again": a task in it is polled again, an instance in it is looked at again.
 */
export const UNREADABLE_STATUS = '(unreadable)';

/** A field of a listed item that the bot could not use as it came. */
export interface UnusableItem {
  /** The wire field at fault, e.g. `Cpu`; `(item)` when the item is not an object at all. */
  field: string;
  /** The item's id (instance, task, backup file), when it could be read. */
  id?: string | undefined;
  /** True when the item was kept without that field (or with UNREADABLE_STATUS); false when it was set aside. */
  kept: boolean;
}

interface ItemRules {
  /** The wire field that names the item; without it the item cannot be attributed and is set aside. */
  id: string;
  /** The wire field holding the item's state, replaced by UNREADABLE_STATUS when it cannot be read. */
  status?: string | undefined;
}

/** A wire field name from a zod issue path (the first key), or `(item)` for the item itself. */
function fieldOf(issue: z.core.$ZodIssue): string {
  const key = issue.path[0];
  return typeof key === 'string' ? key : '(item)';
}

/**
 * Reads each item on its own: a good item as the schema says, an odd one with its unreadable fields dropped (its
 * status marked unreadable), and one without a usable id set aside. Never fails on an item.
 */
function readItems<T>(raw: readonly unknown[], item: z.ZodType<T>, rules: ItemRules) {
  const items: T[] = [];
  const unusable: UnusableItem[] = [];
  for (const entry of raw) {
    const first = item.safeParse(entry);
    if (first.success) {
      items.push(first.data);
      continue;
    }
    if (!isRecord(entry)) {
      unusable.push({ field: '(item)', kept: false });
      continue;
    }
    const rawId = entry[rules.id];
    const id = typeof rawId === 'string' && rawId !== '' ? rawId : undefined;
    const fields = [...new Set(first.error.issues.map(fieldOf))];
    if (id === undefined) {
      unusable.push({ field: rules.id, kept: false });
      continue;
    }
    const repaired: Record<string, unknown> = { ...entry };
    for (const field of fields) {
      if (field === rules.status) repaired[field] = UNREADABLE_STATUS;
      else delete repaired[field];
    }
    const second = item.safeParse(repaired);
    for (const field of fields) unusable.push({ field, id, kept: second.success });
    if (second.success) items.push(second.data);
  }
  return { items, unusable };
}

/** A list read item by item (see readItems); absent or `null` is an empty list. */
function itemList<T>(item: z.ZodType<T>, rules: ItemRules) {
  return z
    .array(z.unknown())
    .nullish()
    .transform((raw) => readItems(raw ?? [], item, rules));
}

/** The paging fields shared by Describe* responses. An empty NextToken means "last page". */
const Page = {
  RequestId: Id,
  TotalCount: OptNumber,
  NextToken: OptString,
  MaxResults: OptNumber,
};

/** Keys whose value may be undefined become optional (`name?: string`), so callers can build these objects too. */
type UndefinedKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];
type Tidy<T> = { [K in Exclude<keyof T, UndefinedKeys<T>>]: T[K] } & { [K in UndefinedKeys<T>]?: T[K] };
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Drops undefined-valued keys, so logs and JSON show only what the service sent. */
export function tidy<T extends object>(value: T): Simplify<Tidy<T>> {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value as Simplify<Tidy<T>>;
}

/**
 * What the client needs of a response schema: zod's `safeParse`. A zod schema is one; so is a hand-written reader
 * with a zod schema behind it (task-page.ts).
 */
export interface ResponseParser<T> {
  safeParse(json: unknown): { success: true; data: T } | { success: false; error: z.ZodError };
}

// ---------------------------------------------------------------------------------------------------------------------
// Errors

/**
 * Gateway/service error body: `{RequestId, HostId, Code, Message, Recommend}` (doc §2, §5). All fields optional. Read
 * as the official core reads it: each PascalCase key, else its lower-case twin (`code`, `message`, `requestId`).
 */
export const ErrorBody = z
  .object({
    RequestId: OptString,
    requestId: OptString,
    HostId: OptString,
    hostId: OptString,
    Code: OptString,
    code: OptString,
    Message: OptString,
    message: OptString,
    Recommend: OptString,
    recommend: OptString,
  })
  .transform((e) =>
    tidy({
      requestId: e.RequestId ?? e.requestId,
      hostId: e.HostId ?? e.hostId,
      code: e.Code ?? e.code,
      message: e.Message ?? e.message,
      recommend: e.Recommend ?? e.recommend,
    }),
  );
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------------------------------------------------------------------------------------------------------------------
// DescribeAndroidInstances (§3.9)

export const Instance = z
  .object({
    AndroidInstanceId: Id,
    AndroidInstanceName: OptString,
    AndroidInstanceStatus: Id,
    ImageId: OptString,
    ImageVersion: OptString,
    InstanceType: OptString,
    BizImageType: OptString,
    ServerType: OptString,
    SystemVersion: OptString,
    Rate: OptNumber,
    ErrorCode: OptString,
    RegionId: OptString,
    AndroidInstanceGroupId: OptString,
    Cpu: OptNumber,
  })
  .transform((i) =>
    tidy({
      instanceId: i.AndroidInstanceId,
      name: i.AndroidInstanceName,
      status: i.AndroidInstanceStatus,
      imageId: i.ImageId,
      imageVersion: i.ImageVersion,
      instanceType: i.InstanceType,
      bizImageType: i.BizImageType,
      serverType: i.ServerType,
      systemVersion: i.SystemVersion,
      /** Progress (%) of the running backup/restore. */
      rate: i.Rate,
      /** Why the last backup/restore failed, e.g. `FilePathNotFound`. */
      errorCode: i.ErrorCode,
      regionId: i.RegionId,
      instanceGroupId: i.AndroidInstanceGroupId,
      cpu: i.Cpu,
    }),
  );
/** `region`: the configured region whose endpoint listed it, set by the regional client (regional.ts). */
export type Instance = z.infer<typeof Instance> & { region?: string | undefined };

export const DescribeAndroidInstancesResponse = z
  .object({ ...Page, InstanceModel: itemList(Instance, { id: 'AndroidInstanceId', status: 'AndroidInstanceStatus' }) })
  .transform((r) =>
    tidy({
      requestId: r.RequestId,
      totalCount: r.TotalCount,
      nextToken: r.NextToken,
      instances: r.InstanceModel.items,
      unusable: r.InstanceModel.unusable,
    }),
  );
export type DescribeAndroidInstancesResponse = z.infer<typeof DescribeAndroidInstancesResponse>;

// ---------------------------------------------------------------------------------------------------------------------
// DescribeTasks (§3.7, statuses §4.3)

/** Task statuses after which nothing changes any more (the doc marks this set as presumed, §4.3). */
export const TERMINAL_TASK_STATUSES: readonly string[] = Object.freeze([
  'Finished',
  'PartFinished',
  'Failed',
  'Skipped',
]);

export function isTerminalTaskStatus(status: string): boolean {
  return TERMINAL_TASK_STATUSES.includes(status);
}

export const Task = z
  .object({
    TaskId: Id,
    TaskStatus: Id,
    TaskType: OptString,
    Level: OptNumber,
    ParentTaskId: OptString,
    InstanceId: OptString,
    InstanceStatus: OptString,
    ErrorCode: OptString,
    ErrorMsg: OptString,
    // Kept raw: the documented example is `{"Success": True}`, which is not JSON.
    Result: OptString,
    StartTime: OptString,
    FinishTime: OptString,
    TotalChildCount: OptNumber,
    SuccessChildCount: OptNumber,
    FailedChildCount: OptNumber,
    RunningChildCount: OptNumber,
    InvokeId: OptString,
  })
  .transform((t) =>
    tidy({
      taskId: t.TaskId,
      status: t.TaskStatus,
      type: t.TaskType,
      /** 1 = batch task, 2 = instance-level task. */
      level: t.Level,
      parentTaskId: t.ParentTaskId,
      instanceId: t.InstanceId,
      instanceStatus: t.InstanceStatus,
      errorCode: t.ErrorCode,
      errorMsg: t.ErrorMsg,
      /** The raw `Result` text; never assume it is JSON. */
      result: t.Result,
      startTime: t.StartTime,
      finishTime: t.FinishTime,
      totalChildCount: t.TotalChildCount,
      successChildCount: t.SuccessChildCount,
      failedChildCount: t.FailedChildCount,
      runningChildCount: t.RunningChildCount,
      invokeId: t.InvokeId,
    }),
  );
export type Task = z.infer<typeof Task> & { region?: string | undefined };

export const DescribeTasksResponse = z
  .object({ ...Page, Data: itemList(Task, { id: 'TaskId', status: 'TaskStatus' }) })
  .transform((r) =>
    tidy({
      requestId: r.RequestId,
      totalCount: r.TotalCount,
      nextToken: r.NextToken,
      tasks: r.Data.items,
      unusable: r.Data.unusable,
    }),
  );
export type DescribeTasksResponse = z.infer<typeof DescribeTasksResponse>;

// ---------------------------------------------------------------------------------------------------------------------
// DescribeBackupFiles (§3.5, statuses §4.2)

export const BackupFile = z
  .object({
    BackupFileId: Id,
    BackupFileName: OptString,
    BackupFilePath: OptString,
    AndroidInstanceId: OptString,
    AndroidInstanceName: OptString,
    Status: Id,
    FileSize: OptNumber,
    // The response calls it SourceAppInfoList although the BackupApp request calls it SourceAppList.
    SourceAppInfoList: StringList,
    UploadEndpoint: OptString,
    Description: OptString,
    TaskId: OptString,
    GmtCreated: OptString,
    RegionId: OptString,
  })
  .transform((f) =>
    tidy({
      backupFileId: f.BackupFileId,
      backupFileName: f.BackupFileName,
      /** Full object path (`oss://…/….ab`), which RecoverApp wants. */
      backupFilePath: f.BackupFilePath,
      instanceId: f.AndroidInstanceId,
      instanceName: f.AndroidInstanceName,
      status: f.Status,
      sizeBytes: f.FileSize,
      apps: f.SourceAppInfoList,
      uploadEndpoint: f.UploadEndpoint,
      description: f.Description,
      taskId: f.TaskId,
      /** `yyyy-MM-dd HH:mm:ss`, time zone unstated (§9.8). */
      gmtCreated: f.GmtCreated,
      regionId: f.RegionId,
    }),
  );
export type BackupFile = z.infer<typeof BackupFile> & { region?: string | undefined };

export const DescribeBackupFilesResponse = z
  .object({ ...Page, Data: itemList(BackupFile, { id: 'BackupFileId', status: 'Status' }) })
  .transform((r) =>
    tidy({
      requestId: r.RequestId,
      totalCount: r.TotalCount,
      nextToken: r.NextToken,
      maxResults: r.MaxResults,
      backupFiles: r.Data.items,
      unusable: r.Data.unusable,
    }),
  );
export type DescribeBackupFilesResponse = z.infer<typeof DescribeBackupFilesResponse>;

// ---------------------------------------------------------------------------------------------------------------------
// BackupApp (§3.1) and RecoverApp (§3.2)

const BackupAppItem = z
  .object({
    AndroidInstanceId: Id,
    // Optional here: the bot finds the file by its request marker when the answer leaves it out.
    BackupFileId: OptString,
    BackupFileName: OptString,
    TaskId: Id,
  })
  .transform((d) =>
    tidy({
      instanceId: d.AndroidInstanceId,
      backupFileId: d.BackupFileId,
      backupFileName: d.BackupFileName ?? '',
      /** The instance-level task. */
      taskId: d.TaskId,
    }),
  );

export const BackupAppResult = z
  .object({
    RequestId: Id,
    TaskId: Id,
    Count: OptNumber,
    Data: itemList(BackupAppItem, { id: 'AndroidInstanceId' }),
  })
  .transform((r) => ({
    requestId: r.RequestId,
    /** The batch (parent) task. */
    taskId: r.TaskId,
    count: r.Count ?? r.Data.items.length,
    items: r.Data.items,
    unusable: r.Data.unusable,
  }));
export type BackupAppResult = z.infer<typeof BackupAppResult>;

const RecoverAppItem = z
  .object({ AndroidInstanceId: Id, TaskId: Id })
  .transform((d) => ({ instanceId: d.AndroidInstanceId, taskId: d.TaskId }));

export const RecoverAppResult = z
  .object({
    RequestId: Id,
    TaskId: Id,
    Count: OptNumber,
    Data: itemList(RecoverAppItem, { id: 'AndroidInstanceId' }),
  })
  .transform((r) => ({
    requestId: r.RequestId,
    taskId: r.TaskId,
    count: r.Count ?? r.Data.items.length,
    items: r.Data.items,
    unusable: r.Data.unusable,
  }));
export type RecoverAppResult = z.infer<typeof RecoverAppResult>;

// ---------------------------------------------------------------------------------------------------------------------
// Start/StopAndroidInstance, DeleteBackupFile: `RequestId` only (§3.6, §3.8)

export const RequestIdResult = z.object({ RequestId: Id }).transform((r) => ({ requestId: r.RequestId }));
export type RequestIdResult = z.infer<typeof RequestIdResult>;

// ---------------------------------------------------------------------------------------------------------------------
// RunSyncCommand (§3.10)

export const CommandOutput = z
  .object({
    InstanceId: Id,
    InvocationStatus: Id,
    Output: OptString,
  })
  .transform((c) => ({
    instanceId: c.InstanceId,
    /** `PENDING`, `RUNNING`, `SUCCESS`, `FAILED`, `TIMEOUT` (META-2024). */
    invocationStatus: c.InvocationStatus,
    output: c.Output ?? '',
  }));
export type CommandOutput = z.infer<typeof CommandOutput>;

export const RunSyncCommandResponse = z
  .object({
    RequestId: Id,
    TotalCount: OptNumber,
    Data: itemList(CommandOutput, { id: 'InstanceId', status: 'InvocationStatus' }),
  })
  .transform((r) =>
    tidy({ requestId: r.RequestId, totalCount: r.TotalCount, outputs: r.Data.items, unusable: r.Data.unusable }),
  );
export type RunSyncCommandResponse = z.infer<typeof RunSyncCommandResponse>;
