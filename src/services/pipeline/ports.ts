/**
 * The outside world as the services see it. The cloud phone client and the Slack adapter implement these
 * structurally; tests inject the real ones pointed at local stand-ins.
 */
import type { BackupRequestView } from '../backup/model.js';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface CloudInstanceFacts {
  instanceId: string;
  status: string;
  imageId?: string | undefined;
  imageVersion?: string | undefined;
  instanceType?: string | undefined;
  bizImageType?: string | undefined;
  serverType?: string | undefined;
}

export interface CloudTaskState {
  taskId: string;
  status: string;
  instanceId?: string | undefined;
  errorCode?: string | undefined;
  errorMsg?: string | undefined;
}

export interface CloudBackupFileFacts {
  backupFileId: string;
  backupFileName?: string | undefined;
  backupFilePath?: string | undefined;
  instanceId?: string | undefined;
  status: string;
  sizeBytes?: number | undefined;
  taskId?: string | undefined;
  description?: string | undefined;
}

/** The part of the cloud phone API the backup workflow uses. */
export interface BackupCloud {
  describeInstances(query: { instanceIds: string[] }): Promise<CloudInstanceFacts[]>;
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
  describeTasks(query: { taskIds: string[] }): Promise<CloudTaskState[]>;
  describeBackupFiles(query: { description?: string; instanceId?: string }): Promise<CloudBackupFileFacts[]>;
}

export interface MessageRef {
  channel: string;
  ts: string;
}

/** Tells people about a backup request. Rendering (words, blocks) lives behind this port, in the Slack layer. */
export interface BackupNotifier {
  /** Posts the parent message; falls back to a direct message when the channel is unusable. */
  announce(view: BackupRequestView): Promise<MessageRef>;
  /** The parent message an earlier, interrupted `announce` may have posted, if it did. */
  findAnnounced(view: BackupRequestView): Promise<MessageRef | undefined>;
  /** Updates the parent message in place. */
  progress(view: BackupRequestView, parent: MessageRef): Promise<void>;
  /**
   * Posts the one threaded completion reply. Must be safe to call again after a crash: it checks the thread for a
   * reply it already posted for this request before posting.
   */
  complete(view: BackupRequestView, parent: MessageRef | undefined): Promise<MessageRef>;
}
