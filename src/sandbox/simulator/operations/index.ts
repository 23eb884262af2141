/** The operations the simulator serves, by action name. Anything else is `InvalidApi.NotFound`. */
import { backupApp } from './backup-app.js';
import { deleteBackupFile } from './delete-backup-file.js';
import { describeAndroidInstances } from './describe-android-instances.js';
import { describeBackupFiles } from './describe-backup-files.js';
import { describeTasks } from './describe-tasks.js';
import type { Operation } from './operation.js';
import { startAndroidInstance, stopAndroidInstance } from './power.js';
import { recoverApp } from './recover-app.js';
import { runSyncCommand } from './run-sync-command.js';

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  DescribeAndroidInstances: describeAndroidInstances,
  StopAndroidInstance: stopAndroidInstance,
  StartAndroidInstance: startAndroidInstance,
  BackupApp: backupApp,
  RecoverApp: recoverApp,
  DescribeTasks: describeTasks,
  DescribeBackupFiles: describeBackupFiles,
  DeleteBackupFile: deleteBackupFile,
  RunSyncCommand: runSyncCommand,
};

export type { Operation, OperationContext } from './operation.js';
