/**
 * BackupApp (§3.1): one backup file (`bf-…`) and one instance task per instance under a batch task. There is no
 * UploadType parameter. Outcomes are decided when each instance task starts processing (see lifecycle.ts).
 */
import { BACKUPABLE, beginBackup } from '../lifecycle.js';
import { type Operation, requireInstances, requireStatus } from './operation.js';
import { backupDirectory, uploadEndpoint } from './oss.js';

export const backupApp: Operation = {
  mutating: true,
  run({ params, state, now, requestId }) {
    const ids = params.list('AndroidInstanceIdList', { required: true, max: 100 });
    const apps = params.list('SourceAppList', { required: true, max: 100 });
    const dir = backupDirectory(params.string('BackupFilePath', { required: true }));
    const endpoint = uploadEndpoint(params.string('UploadEndpoint', { required: true }));
    const instances = requireInstances(state, ids);
    requireStatus(instances, BACKUPABLE, 'BackupApp');
    const { parent, entries } = beginBackup(
      state,
      now,
      {
        instances,
        apps,
        dir,
        uploadEndpoint: endpoint,
        fileName: params.string('BackupFileName'),
        description: params.string('Description'),
      },
      requestId,
    );
    return {
      TaskId: parent.id,
      Count: entries.length,
      Data: entries.map(({ instance, file, task }) => ({
        AndroidInstanceId: instance.id,
        BackupFileId: file.id,
        BackupFileName: file.name,
        TaskId: task.id,
      })),
    };
  },
};
