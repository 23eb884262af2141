/**
 * The outside world as the restore, catalog, status and delete services see it. The cloud phone client and the Slack
 * adapters implement these structurally; tests inject the real ones pointed at local stand-ins.
 */
import type { MessageRef } from '../pipeline/ports.js';
import type { RestoreRequestView } from './model.js';

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

/** The part of the cloud phone API restores, the catalog, status and deletions use. */
export interface RestoreCloud {
  describeInstances(query: { instanceIds: string[] }): Promise<CloudInstance[]>;
  startInstances(ids: string[]): Promise<{ requestId: string }>;
  recoverApp(input: {
    instanceIds: string[];
    backupFileId: string;
    backupFilePath: string;
    uploadEndpoint?: string | undefined;
  }): Promise<{ requestId: string; taskId: string; items: { instanceId: string; taskId: string }[] }>;
  describeTasks(query: { taskIds?: string[]; invokeId?: string }): Promise<CloudTask[]>;
  describeBackupFiles(query: {
    backupFileId?: string;
    instanceId?: string;
    maxPages?: number;
  }): Promise<CloudBackupFile[]>;
  deleteBackupFiles(ids: string[]): Promise<{ requestId: string }>;
  /** Third-party packages per running instance; instances whose lookup failed are absent. */
  listInstalledPackages(ids: string[]): Promise<Map<string, string[]>>;
}

/** Tells people about a restore. Rendering lives behind this port, in the Slack layer. */
export interface RestoreNotifier {
  /** Posts the parent message; falls back to a direct message when the channel is unusable. */
  announce(view: RestoreRequestView): Promise<MessageRef>;
  /** The parent message an earlier, interrupted `announce` may have posted, if it did. */
  findAnnounced(view: RestoreRequestView): Promise<MessageRef | undefined>;
  /** Updates the parent message in place. */
  progress(view: RestoreRequestView, parent: MessageRef): Promise<void>;
  /**
   * Posts the one threaded completion reply (with the "Mark restore verified" button). Safe to call again after a
   * crash: it looks in the thread for a reply it already posted for this restore first.
   */
  complete(view: RestoreRequestView, parent: MessageRef | undefined): Promise<MessageRef>;
}
