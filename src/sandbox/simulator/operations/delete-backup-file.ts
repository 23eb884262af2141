/**
 * DeleteBackupFile (§3.6): takes a list despite the singular name; answers with RequestId only. Files go DELETING,
 * then disappear. Unknown ids are refused (so a retry after an unknown outcome may see NotFound for a file that its
 * first attempt deleted: a client must treat that as done). Whether the OSS object goes too is UNCONFIRMED.
 */
import { backupFileNotFound, backupFileStatusInvalid } from '../api-error.js';
import { beginDelete, DELETABLE_FILE } from '../lifecycle.js';
import type { Operation } from './operation.js';

export const deleteBackupFile: Operation = {
  mutating: true,
  run({ params, state, now }) {
    const ids = params.list('BackupFileIdList', { required: true, max: 100 });
    const files = ids.map((id) => {
      const file = state.backupFiles.get(id);
      if (!file) throw backupFileNotFound(id);
      if (!DELETABLE_FILE.includes(file.status)) throw backupFileStatusInvalid(id, file.status, 'DeleteBackupFile');
      return file;
    });
    beginDelete(state, now, files);
    return {};
  },
};
