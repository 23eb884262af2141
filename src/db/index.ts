import { createAppFactsRepository } from './app-facts.js';
import { createApprovalRepository } from './approvals.js';
import { createAuditLogRepository } from './audit-log.js';
import { createBackupRecordQueries } from './backup-records.js';
import { createBackupRequestRepository } from './backup-requests.js';
import { createCloudCallRepository } from './cloud-calls.js';
import type { Db } from './database.js';
import { createDeleteRepository } from './delete-requests.js';
import { createHomeQueries } from './home-queries.js';
import { createOutboxRepository } from './outbox.js';
import { createRequestRepository } from './requests.js';
import { createRestoreRepository } from './restore-requests.js';
import { createScheduleApprovalRepository } from './schedule-approvals.js';
import { createScheduleRunRepository } from './schedule-runs.js';
import { createScheduleRepository } from './schedules.js';
import { createStoppedPhoneRepository } from './stopped-phones.js';
import { createTaskRepository } from './tasks.js';
import { createVerificationRepository } from './verifications.js';

export function createRepositories(db: Db) {
  // Every kind of request shares the request table, the call ledger, the task table and the outbox.
  const requests = createRequestRepository(db);
  return {
    db,
    requests,
    calls: createCloudCallRepository(db),
    tasks: createTaskRepository(db),
    outbox: createOutboxRepository(db),
    // What only one kind has: a backup's instances, a restore's targets, a deletion's files.
    backups: createBackupRequestRepository(db, requests),
    restores: createRestoreRepository(db, requests),
    deletions: createDeleteRepository(db, requests),
    approvals: createApprovalRepository(db),
    audit: createAuditLogRepository(db),
    verifications: createVerificationRepository(db),
    // The app probe's findings before backups and after restores (issue 17's automatic verification).
    appFacts: createAppFactsRepository(db),
    backupRecords: createBackupRecordQueries(db),
    // The App Home's views of a person's requests and each instance's newest good backup.
    home: createHomeQueries(db),
    // Phones the bot stopped and owes a start (services/pipeline/power-keeper.ts).
    stoppedPhones: createStoppedPhoneRepository(db),
    // Scheduled backups' definitions; their runs are requests of kind `schedule-run`.
    schedules: createScheduleRepository(db),
    // A run's instances (queued, sent in a child backup, skipped) and what its retention pruned.
    scheduleRuns: createScheduleRunRepository(db, requests),
    // Schedule changes with retention that wait for approval (kind `schedule-approval`).
    scheduleApprovals: createScheduleApprovalRepository(db, requests),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
