/**
 * DescribeBackupFiles (§3.5), newest first. Quirks reproduced: `MaxResults` comes back as a string; the apps are
 * `SourceAppInfoList` (the request calls them SourceAppList); `FileSize` is a number; `Gmt*` are
 * `yyyy-MM-dd HH:mm:ss` (UTC+8, see format.ts). No image or architecture field, as on the real wire.
 */
import { invalidParameter } from '../api-error.js';
import { gmtTime, parseGmtTime } from '../format.js';
import { paginate } from '../pagination.js';
import type { Params } from '../params.js';
import { BACKUP_FILE_STATUSES, type SimBackupFile } from '../state.js';
import { fuzzyMatch, type Operation } from './operation.js';

export function backupFileModel(file: SimBackupFile) {
  return {
    BackupFileId: file.id,
    BackupFileName: file.name,
    BackupFilePath: file.path,
    AndroidInstanceId: file.instanceId,
    AndroidInstanceName: file.instanceName,
    InstanceGroupId: file.groupId,
    EndUserId: '',
    Status: file.status,
    FileSize: file.sizeBytes,
    SourceAppInfoList: [...file.apps],
    SourceFilePathList: [],
    BackupAll: false,
    UploadType: file.uploadType,
    UploadEndpoint: file.uploadEndpoint,
    Description: file.description,
    RegionId: file.regionId,
    TaskId: file.taskId,
    GmtCreated: gmtTime(file.createdAt),
    GmtModified: gmtTime(file.modifiedAt),
    SystemVersion: file.source.systemVersion,
  };
}

function timeParam(params: Params, name: string): number | undefined {
  const raw = params.string(name);
  if (raw === undefined) return undefined;
  const ms = parseGmtTime(raw);
  if (ms === undefined) throw invalidParameter(name, `"${raw}" is not in the format yyyy-MM-dd HH:mm:ss.`);
  return ms;
}

export const describeBackupFiles: Operation = {
  mutating: false,
  run({ params, state }) {
    const fileId = params.string('BackupFileId');
    const fileName = params.string('BackupFileName');
    const instanceId = params.string('AndroidInstanceId');
    const instanceName = params.string('AndroidInstanceName');
    const groupId = params.string('InstanceGroupId');
    const description = params.string('Description');
    const statuses = params.listOf('StatusList', BACKUP_FILE_STATUSES, { max: 100 });
    const start = timeParam(params, 'StartTime');
    const end = timeParam(params, 'EndTime');
    // Only app backups exist here; whole-device backups (BackupAll) are not simulated.
    const backupAll = params.bool('BackupAll');
    // The metadata allows 0–100 (the docs say 1–100); 0 is taken as "no preference", i.e. the default.
    const maxResults = params.int('MaxResults', { min: 0, max: 100, default: 10 }) || 10;

    const matches = [...state.backupFiles.values()].filter(
      (file) =>
        backupAll !== true &&
        (fileId === undefined || file.id === fileId) &&
        fuzzyMatch(file.name, fileName) &&
        (instanceId === undefined || file.instanceId === instanceId) &&
        fuzzyMatch(file.instanceName, instanceName) &&
        (groupId === undefined || file.groupId === groupId) &&
        fuzzyMatch(file.description, description) &&
        (statuses.length === 0 || statuses.includes(file.status)) &&
        (start === undefined || file.createdAt >= start) &&
        (end === undefined || file.createdAt <= end),
    );
    const page = paginate(matches, (file) => file.seq, {
      scope: 'DescribeBackupFiles',
      direction: 'desc',
      maxResults,
      nextToken: params.string('NextToken'),
    });
    return {
      TotalCount: page.totalCount,
      NextToken: page.nextToken,
      MaxResults: String(maxResults),
      Data: page.items.map(backupFileModel),
    };
  },
};
