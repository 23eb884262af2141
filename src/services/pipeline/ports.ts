/**
 * The outside world as every flow sees it: the cloud phone API, Slack (through a notifier) and the clock. The cloud
 * phone client and the Slack adapters implement these structurally; tests inject the real ones pointed at local
 * stand-ins. Each flow takes only the operations it uses (`Pick<CloudPhone, …>`).
 */

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface CloudInstance {
  instanceId: string;
  name?: string | undefined;
  status: string;
  imageId?: string | undefined;
  imageVersion?: string | undefined;
  instanceType?: string | undefined;
  bizImageType?: string | undefined;
  serverType?: string | undefined;
  instanceGroupId?: string | undefined;
  /** The configured region whose endpoint listed it (CLOUDPHONE_REGIONS). */
  region?: string | undefined;
}

export interface CloudTask {
  taskId: string;
  status: string;
  type?: string | undefined;
  level?: number | undefined;
  parentTaskId?: string | undefined;
  instanceId?: string | undefined;
  errorCode?: string | undefined;
  errorMsg?: string | undefined;
  invokeId?: string | undefined;
  startTime?: string | undefined;
  finishTime?: string | undefined;
  totalChildCount?: number | undefined;
  successChildCount?: number | undefined;
  failedChildCount?: number | undefined;
  runningChildCount?: number | undefined;
  /** The configured region whose endpoint answered for the task (CLOUDPHONE_REGIONS). */
  region?: string | undefined;
}

export interface CloudBackupFile {
  backupFileId: string;
  backupFileName?: string | undefined;
  backupFilePath?: string | undefined;
  instanceId?: string | undefined;
  instanceName?: string | undefined;
  status: string;
  sizeBytes?: number | undefined;
  apps: string[];
  uploadEndpoint?: string | undefined;
  description?: string | undefined;
  taskId?: string | undefined;
  /** `yyyy-MM-dd HH:mm:ss`, time zone unstated (cloud-phone-api.md §9.8; UTC+8 in practice). */
  gmtCreated?: string | undefined;
  /** The configured region whose endpoint listed it (CLOUDPHONE_REGIONS). */
  region?: string | undefined;
}

/** The part of the cloud phone API the bot uses. */
export interface CloudPhone {
  describeInstances(query: { instanceIds: string[] }): Promise<CloudInstance[]>;
  stopInstances(ids: string[]): Promise<{ requestId: string }>;
  startInstances(ids: string[]): Promise<{ requestId: string }>;
  backupApp(input: {
    instanceIds: string[];
    apps: string[];
    backupFilePath: string;
    uploadEndpoint: string;
    backupFileName?: string | undefined;
    description?: string | undefined;
  }): Promise<{
    requestId: string;
    taskId: string;
    items: { instanceId: string; backupFileId?: string | undefined; backupFileName: string; taskId: string }[];
  }>;
  recoverApp(input: {
    instanceIds: string[];
    backupFileId: string;
    backupFilePath: string;
    uploadEndpoint?: string | undefined;
  }): Promise<{ requestId: string; taskId: string; items: { instanceId: string; taskId: string }[] }>;
  /** `region`: where the caller knows the tasks are (see `regionOfTask`); the client asks only there. */
  describeTasks(query: {
    taskIds?: string[];
    invokeId?: string;
    resourceIds?: string[];
    taskTypes?: string[];
    level?: 1 | 2;
    region?: string;
  }): Promise<CloudTask[]>;
  /**
   * The region a task lives in, as far as the client has seen it or its instance (CLOUDPHONE_REGIONS); undefined
   * when not known yet. Absent for a client of one region: then every task is in it.
   */
  regionOfTask?(task: { taskId: string; instanceId: string }): string | undefined;
  describeBackupFiles(query: {
    backupFileId?: string;
    instanceId?: string;
    description?: string;
    maxPages?: number;
  }): Promise<CloudBackupFile[]>;
  deleteBackupFiles(ids: string[]): Promise<{ requestId: string }>;
  /** Third-party packages per running instance; instances whose lookup failed are absent. */
  listInstalledPackages(ids: string[]): Promise<Map<string, string[]>>;
  /** RunSyncCommand, 50 instances per call; one output per instance the cloud answered for. */
  runSyncCommand(request: { instanceIds: string[]; command: string; waitTimeMs?: number }): Promise<CommandResult[]>;
}

/** One instance's answer to RunSyncCommand. */
export interface CommandResult {
  instanceId: string;
  /** `SUCCESS`, `FAILED`, `TIMEOUT`, `RUNNING`, … in either case (cloud-phone-api.md §3.10). */
  invocationStatus: string;
  output: string;
}

/** What the backup workflow calls. */
export type BackupCloud = Pick<
  CloudPhone,
  | 'describeInstances'
  | 'stopInstances'
  | 'startInstances'
  | 'backupApp'
  | 'describeTasks'
  | 'describeBackupFiles'
  | 'runSyncCommand'
>;

export interface MessageRef {
  channel: string;
  ts: string;
}

/**
 * Tells people about a request of any kind, `V` being how that kind shows itself. Rendering (words, blocks) lives
 * behind this port, in the Slack layer.
 */
export interface RequestNotifier<V> {
  /** Posts the parent message; falls back to a direct message when the channel is unusable. */
  announce(view: V): Promise<MessageRef>;
  /** The parent message an earlier, interrupted `announce` may have posted, if it did. */
  findAnnounced(view: V): Promise<MessageRef | undefined>;
  /** Updates the parent message in place. */
  progress(view: V, parent: MessageRef): Promise<void>;
  /**
   * Posts the one completion reply (threaded under the parent when there is one). Must be safe to call again after
   * a crash: it looks for a reply it already posted for this request before posting.
   */
  complete(view: V, parent: MessageRef | undefined): Promise<MessageRef>;
}
