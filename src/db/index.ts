import { createAuditLogRepository } from './audit-log.js';
import { createBackupRecordQueries } from './backup-records.js';
import { createBackupRequestRepository } from './backup-requests.js';
import { createCloudCallRepository } from './cloud-calls.js';
import type { Db } from './database.js';
import { createDeleteRepository } from './delete-requests.js';
import { createOutboxRepository } from './outbox.js';
import { createRestoreRepository } from './restore-requests.js';
import { createStoppedPhoneRepository } from './stopped-phones.js';
import { createTaskRepository } from './tasks.js';
import { createVerificationRepository } from './verifications.js';

export function createRepositories(db: Db) {
  return {
    db,
    requests: createBackupRequestRepository(db),
    calls: createCloudCallRepository(db),
    tasks: createTaskRepository(db),
    outbox: createOutboxRepository(db),
    audit: createAuditLogRepository(db),
    // Restores, verifications, deletions and read-only queries over the backup tables.
    restores: createRestoreRepository(db),
    verifications: createVerificationRepository(db),
    deletions: createDeleteRepository(db),
    backupRecords: createBackupRecordQueries(db),
    // Phones the bot stopped and owes a start (services/pipeline/power-keeper.ts).
    stoppedPhones: createStoppedPhoneRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
