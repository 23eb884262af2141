/**
 * What happens around a request beyond its own flow: a submission is logged with the bot's request id (linking the
 * Slack request's log lines to it), and a finished backup or restore is counted and its outcome written on its audit
 * entry.
 */
import type { BackupRequestRecord } from '../db/backup-requests.js';
import type { RestoreRecord } from '../db/restore-requests.js';
import { addToLogContext, type Logger } from '../logger.js';
import type { AuditTrail } from '../services/access/audit.js';
import type { BackupService } from '../services/backup/service.js';
import type { Metrics } from './metrics.js';

/** The backup service, its submissions logged (and the request id added to the Slack request's log context). */
export function withSubmissionLog(service: BackupService, logger: Logger): BackupService {
  return {
    ...service,
    async submit(input) {
      const result = await service.submit(input);
      addToLogContext({ requestId: result.requestId });
      logger.info(
        { requestId: result.requestId, created: result.created, instances: input.spec.instanceIds.length },
        result.created ? 'backup request recorded' : 'backup request already recorded (repeated submission)',
      );
      return result;
    },
  };
}

interface OutcomeDeps {
  metrics: Metrics;
  audit: AuditTrail;
  logger: Logger;
}

/** Counts a finished backup, writes its outcome on its audit entry, and logs it. */
export function backupFinished(deps: OutcomeDeps): (request: BackupRequestRecord) => void {
  return (request) => {
    deps.metrics.requests.inc({ action: 'backup', outcome: request.status });
    deps.audit.recordOutcome(request.id, backupAuditOutcome(request));
    deps.logger.info({ requestId: request.id, status: request.status }, 'backup request finished');
  };
}

/** Counts a finished restore and writes its outcome on its audit entry. */
export function restoreFinished(deps: OutcomeDeps): (request: RestoreRecord) => void {
  return (request) => {
    deps.metrics.requests.inc({ action: 'restore', outcome: request.status });
    deps.audit.recordOutcome(request.id, restoreAuditOutcome(request));
  };
}

function backupAuditOutcome(request: BackupRequestRecord) {
  return {
    status: request.status,
    taskIds: request.instances.flatMap((i) => (i.taskId ? [i.taskId] : [])),
    backupFileIds: request.instances.flatMap((i) => (i.backupFileId ? [i.backupFileId] : [])),
    errors: request.instances.flatMap((i) =>
      i.errorCode
        ? [{ instanceId: i.instanceId, code: i.errorCode, message: i.errorMessage ?? '', requestId: i.requestId }]
        : [],
    ),
  };
}

function restoreAuditOutcome(request: RestoreRecord) {
  return {
    status: request.status,
    backupFileIds: [request.backup.backupFileId],
    taskIds: request.targets.flatMap((t) => (t.taskId ? [t.taskId] : [])),
    restored: request.targets.filter((t) => t.state === 'succeeded').map((t) => t.instanceId),
    startedFirst: request.targets.filter((t) => t.startedByBot).map((t) => t.instanceId),
    errors: request.targets.flatMap((t) =>
      (t.state === 'failed' || t.state === 'skipped') && t.errorCode
        ? [{ instanceId: t.instanceId, code: t.errorCode, message: t.errorMessage ?? '', requestId: t.requestId }]
        : [],
    ),
  };
}
