/**
 * RecoverApp (§3.2): UploadType=OSS, BackupFileId and the file's full BackupFilePath are required; targets must be
 * RUNNING. A path that does not name the file, or a target with another image kind, image version or architecture
 * than the backup's source, makes that instance's task fail (the service finds out when it runs the task).
 */
import { backupFileNotFound, backupFileStatusInvalid, invalidParameter } from '../api-error.js';
import { beginRecover, RECOVERABLE_FILE, RECOVERABLE_TARGET } from '../lifecycle.js';
import { type Operation, requireInstances, requireStatus } from './operation.js';
import { backupObjectPath, uploadEndpoint } from './oss.js';

export const recoverApp: Operation = {
  mutating: true,
  run({ params, state, now, requestId }) {
    const ids = params.list('AndroidInstanceIdList', { required: true, max: 100 });
    const fileId = params.string('BackupFileId', { required: true });
    const path = backupObjectPath(params.string('BackupFilePath', { required: true }));
    const uploadType = params.string('UploadType', { required: true });
    if (uploadType !== 'OSS') throw invalidParameter('UploadType', `"${uploadType}" is not supported; use OSS.`);
    const endpoint = params.string('UploadEndpoint');
    if (endpoint !== undefined) uploadEndpoint(endpoint);

    const file = state.backupFiles.get(fileId);
    if (!file) throw backupFileNotFound(fileId);
    if (!RECOVERABLE_FILE.includes(file.status)) throw backupFileStatusInvalid(file.id, file.status, 'RecoverApp');
    const instances = requireInstances(state, ids);
    requireStatus(instances, RECOVERABLE_TARGET, 'RecoverApp');

    const parent = beginRecover(state, now, { instances, file, path }, requestId);
    const children = parent.childIds.map((id) => state.tasks.get(id)!);
    return {
      TaskId: parent.id,
      Count: children.length,
      Data: children.map((task) => ({ AndroidInstanceId: task.instanceId, TaskId: task.id })),
    };
  },
};
