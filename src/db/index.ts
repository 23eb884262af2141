import { createAuditLogRepository } from './audit-log.js';
import { createBackupRequestRepository } from './backup-requests.js';
import { createCloudCallRepository } from './cloud-calls.js';
import type { Db } from './database.js';
import { createOutboxRepository } from './outbox.js';
import { createTaskRepository } from './tasks.js';

export function createRepositories(db: Db) {
  return {
    db,
    requests: createBackupRequestRepository(db),
    calls: createCloudCallRepository(db),
    tasks: createTaskRepository(db),
    outbox: createOutboxRepository(db),
    audit: createAuditLogRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
