/** OSS locations as BackupApp/RecoverApp take them (§3.1, §3.11): only `cloudphone-saved-bucket-*` buckets. */
import { invalidParameter } from '../api-error.js';

const OSS_PATH = /^oss:\/\/(cloudphone-saved-bucket-[a-z0-9][a-z0-9-]{0,38})(\/.*)?$/;
const OSS_ENDPOINT = /^(https?:\/\/)?oss-[a-z0-9-]+\.aliyuncs\.com$/;

/**
 * The backup directory, always ending in `/`. The docs show a directory and never a full object name here (§9.6
 * leaves it open), so anything after the bucket is taken as a directory.
 */
export function backupDirectory(path: string): string {
  const match = OSS_PATH.exec(path);
  if (!match) {
    throw invalidParameter('BackupFilePath', 'expected oss://cloudphone-saved-bucket-<name>/<dir>/.');
  }
  return path.endsWith('/') ? path : `${path}/`;
}

/** A full object path for RecoverApp; whether it names a real backup is decided later, by the task. */
export function backupObjectPath(path: string): string {
  if (!OSS_PATH.test(path) || path.endsWith('/')) {
    throw invalidParameter(
      'BackupFilePath',
      'expected the backup object path, oss://cloudphone-saved-bucket-<name>/…/<file>.ab.',
    );
  }
  return path;
}

export function uploadEndpoint(value: string, name = 'UploadEndpoint'): string {
  if (!OSS_ENDPOINT.test(value)) {
    throw invalidParameter(name, 'expected an OSS endpoint such as oss-cn-shanghai-internal.aliyuncs.com.');
  }
  return value;
}
