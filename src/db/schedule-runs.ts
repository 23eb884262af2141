/**
 * A scheduled backup's runs (migration 011): the run itself is a request of the shared table (kind `schedule-run`,
 * what only a run has in detail_json); its instances are here, each queued until a wave sends it in a child backup
 * request, or skipped with the reason. An instance's outcome is read from its child backup, never copied.
 */
import type { Actor } from '../services/backup/model.js';
import type { ScheduleSpec } from '../services/schedules/spec.js';
import type { Db } from './database.js';
import { headerOf, type RequestHeader, type RequestRepository, type RequestRow } from './requests.js';

export type RunStatus = 'received' | 'running' | 'succeeded' | 'partial' | 'failed' | 'denied' | 'missed' | 'cancelled';
export type RunStep = 'resolve' | 'announce' | 'waves' | 'prune' | 'report' | 'done';

/** What only a run has, kept in the request's detail_json. */
export interface RunDetail {
  scheduleId: string;
  scheduleName: string;
  /** The schedule as it was when the slot was taken (a change later does not alter a run under way). */
  spec: ScheduleSpec;
  /** The cadence slot (epoch ms) this run is for; undefined for `schedule run` (now, outside the cadence). */
  slotAt?: number | undefined;
  /** Who started it with `schedule run`, when someone did. */
  startedBy?: string | undefined;
  /** Slots missed while the bot was down and too old to run (a `missed` report only). */
  missedSlots?: { count: number; first: number; last: number } | undefined;
  /** Instances at most stopped or being backed up at once (resolved from the wave size and the match). */
  waveCount?: number | undefined;
  /** Targets that matched no instance in the listing. */
  unmatched?: string[] | undefined;
  /** Why the owner may no longer run it (a denied run). */
  denied?: string | undefined;
  /** Listing the fleet failed for good. */
  listingError?: { code: string; message: string } | undefined;
  /** The audit entry of the run's permission check. */
  auditId?: number | undefined;
  /** Retention's child deletion and the files it removes. */
  prune?: PruneRecord | undefined;
  /** The highest number of instances ever in flight at once in this run. */
  peakInFlight?: number | undefined;
}

export interface PruneRecord {
  deleteId: string | undefined;
  files: { backupFileId: string; instanceId: string; createdAt: number; reason: string }[];
  /** The deletion's outcome once it settled. */
  status?: string | undefined;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
}

export type RunInstanceState = 'queued' | 'sent' | 'skipped';

export interface RunInstance {
  instanceId: string;
  state: RunInstanceState;
  childId: string | undefined;
  reasonCode: string | undefined;
  reasonMessage: string | undefined;
  /** With a child: the backup's state for this instance (pending … succeeded, failed, skipped). */
  outcome: string | undefined;
  backupFileId: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  restartFailed: boolean;
}

export interface RunCounts {
  total: number;
  queued: number;
  inFlight: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

export interface RunRecord extends Omit<RequestHeader, 'kind'> {
  id: string;
  step: RunStep;
  owner: Actor;
  channelId: string;
  status: RunStatus;
  detail: RunDetail;
  failure: { code: string; message: string } | undefined;
  simulated: boolean;
  createdAt: number;
  finishedAt: number | undefined;
}

function toRecord(row: RequestRow): RunRecord {
  return {
    ...headerOf(row),
    step: row.step as RunStep,
    owner: { userId: row.user_id, teamId: row.team_id },
    channelId: row.channel_id,
    status: row.status as RunStatus,
    detail: JSON.parse(row.detail_json) as RunDetail,
    failure: row.failure_json ? (JSON.parse(row.failure_json) as { code: string; message: string }) : undefined,
    simulated: row.simulated === 1,
    createdAt: row.created_at,
    finishedAt: row.finished_at ?? undefined,
  };
}

interface InstanceRow {
  instance_id: string;
  state: RunInstanceState;
  child_id: string | null;
  reason_code: string | null;
  reason_message: string | null;
  outcome: string | null;
  backup_file_id: string | null;
  error_code: string | null;
  error_message: string | null;
  restart_json: string | null;
}

export function createScheduleRunRepository(db: Db, requests: RequestRepository) {
  const insertInstance = db.prepare(`INSERT OR IGNORE INTO schedule_run_instances
    (run_id, schedule_id, position, instance_id, state, reason_code, reason_message) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const instancesOf = db.prepare(`SELECT s.instance_id, s.state, s.child_id, s.reason_code, s.reason_message,
      ri.state AS outcome, ri.backup_file_id, ri.error_code, ri.error_message, ri.restart_json
    FROM schedule_run_instances s
    LEFT JOIN request_instances ri ON ri.request_id = s.child_id AND ri.instance_id = s.instance_id
    WHERE s.run_id = ? ORDER BY s.position`);
  const countsOf = db.prepare(`SELECT
      COUNT(*) AS total,
      SUM(s.state = 'queued') AS queued,
      SUM(s.state = 'sent' AND c.finished_at IS NULL) AS inFlight,
      SUM(s.state = 'sent' AND c.finished_at IS NOT NULL AND ri.state = 'succeeded') AS succeeded,
      SUM(s.state = 'sent' AND c.finished_at IS NOT NULL AND ri.state = 'failed') AS failed,
      SUM(s.state = 'skipped' OR (s.state = 'sent' AND c.finished_at IS NOT NULL AND ri.state = 'skipped')) AS skipped
    FROM schedule_run_instances s
    LEFT JOIN requests c ON c.id = s.child_id
    LEFT JOIN request_instances ri ON ri.request_id = s.child_id AND ri.instance_id = s.instance_id
    WHERE s.run_id = ?`);
  const inFlight = db.prepare(`SELECT COUNT(*) AS n FROM schedule_run_instances s JOIN requests c ON c.id = s.child_id
    WHERE s.run_id = ? AND s.state = 'sent' AND c.finished_at IS NULL`);
  const queued = db.prepare(`SELECT instance_id FROM schedule_run_instances WHERE run_id = ? AND state = 'queued'
    ORDER BY position LIMIT ?`);
  const queuedCount = db.prepare(
    `SELECT COUNT(*) AS n FROM schedule_run_instances WHERE run_id = ? AND state = 'queued'`,
  );
  const children = db.prepare(
    'SELECT COUNT(DISTINCT child_id) AS n FROM schedule_run_instances WHERE run_id = ? AND child_id IS NOT NULL',
  );
  const send = db.prepare(
    `UPDATE schedule_run_instances SET state = 'sent', child_id = ? WHERE run_id = ? AND instance_id = ? AND state = 'queued'`,
  );
  const skip = db.prepare(`UPDATE schedule_run_instances SET state = 'skipped', reason_code = ?, reason_message = ?
    WHERE run_id = ? AND instance_id = ? AND state = 'queued'`);
  const skipAllQueued = db.prepare(`UPDATE schedule_run_instances SET state = 'skipped', reason_code = ?,
    reason_message = ? WHERE run_id = ? AND state = 'queued'`);
  const openChildren = db.prepare(`SELECT DISTINCT s.child_id AS id FROM schedule_run_instances s
    JOIN requests c ON c.id = s.child_id WHERE s.run_id = ? AND s.state = 'sent' AND c.finished_at IS NULL`);
  const runOfChild = db.prepare('SELECT run_id FROM schedule_run_instances WHERE child_id = ? LIMIT 1');
  const runOfDelete = db.prepare('SELECT run_id FROM schedule_prunes WHERE delete_id = ? LIMIT 1');
  // The schedule's good backups, instance by instance, less those a run's retention already handed to a deletion.
  const scheduleBackups = db.prepare(`SELECT s.instance_id AS instanceId, ri.backup_file_id AS backupFileId,
      c.created_at AS createdAt
    FROM schedule_run_instances s
    JOIN requests c ON c.id = s.child_id
    JOIN request_instances ri ON ri.request_id = s.child_id AND ri.instance_id = s.instance_id
    WHERE s.schedule_id = ? AND ri.state = 'succeeded' AND ri.backup_file_id IS NOT NULL
      AND ri.backup_file_id NOT IN (SELECT backup_file_id FROM schedule_prunes)`);
  // Every good backup the bot made of these instances (any request), newest first.
  const goodBackupsOf = db.prepare(`SELECT ri.instance_id AS instanceId, ri.backup_file_id AS backupFileId,
      r.created_at AS createdAt,
      EXISTS (SELECT 1 FROM backup_verifications v WHERE v.backup_file_id = ri.backup_file_id) AS verified
    FROM request_instances ri JOIN requests r ON r.id = ri.request_id
    WHERE r.kind = 'backup' AND ri.state = 'succeeded' AND ri.backup_file_id IS NOT NULL
      AND ri.instance_id IN (SELECT value FROM json_each(?))
      AND ri.backup_file_id NOT IN (SELECT backup_file_id FROM schedule_prunes)
    ORDER BY r.created_at DESC`);
  const insertPrune = db.prepare(`INSERT OR IGNORE INTO schedule_prunes
    (backup_file_id, schedule_id, run_id, delete_id, instance_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`);

  function get(id: string): RunRecord | undefined {
    const row = requests.row(id, 'schedule-run');
    return row ? toRecord(row) : undefined;
  }

  return {
    /** Records a run (once per idempotency key: `<scheduleId>@<slotMs>` makes one run per slot). */
    create(input: {
      id: string;
      idempotencyKey: string;
      owner: Actor;
      channelId: string;
      detail: RunDetail;
      status: RunStatus;
      simulated: boolean;
      now: number;
    }): { id: string; created: boolean } {
      return requests.create({
        id: input.id,
        kind: 'schedule-run',
        idempotencyKey: input.idempotencyKey,
        actor: input.owner,
        channelId: input.channelId,
        detail: input.detail,
        status: input.status,
        step: 'resolve',
        simulated: input.simulated,
        now: input.now,
      });
    },
    get,
    setDetail(id: string, detail: RunDetail, now: number): void {
      requests.setDetail(id, detail, now);
    },
    /** The run's instances in order, each queued or skipped (with why). */
    addInstances(
      runId: string,
      scheduleId: string,
      instances: readonly { instanceId: string; skip?: { code: string; message: string } | undefined }[],
    ): void {
      db.transaction(() => {
        instances.forEach((instance, position) => {
          insertInstance.run(
            runId,
            scheduleId,
            position,
            instance.instanceId,
            instance.skip ? 'skipped' : 'queued',
            instance.skip?.code ?? null,
            instance.skip?.message ?? null,
          );
        });
      })();
    },
    instances(runId: string): RunInstance[] {
      return (instancesOf.all(runId) as InstanceRow[]).map((row) => ({
        instanceId: row.instance_id,
        state: row.state,
        childId: row.child_id ?? undefined,
        reasonCode: row.reason_code ?? undefined,
        reasonMessage: row.reason_message ?? undefined,
        outcome: row.outcome ?? undefined,
        backupFileId: row.backup_file_id ?? undefined,
        errorCode: row.error_code ?? undefined,
        errorMessage: row.error_message ?? undefined,
        restartFailed: row.restart_json !== null && (JSON.parse(row.restart_json) as { ok: boolean }).ok === false,
      }));
    },
    counts(runId: string): RunCounts {
      const row = countsOf.get(runId) as Record<keyof RunCounts, number | null>;
      return {
        total: row.total ?? 0,
        queued: row.queued ?? 0,
        inFlight: row.inFlight ?? 0,
        succeeded: row.succeeded ?? 0,
        failed: row.failed ?? 0,
        skipped: row.skipped ?? 0,
      };
    },
    /** Instances whose child backup has not ended: stopped, or about to be, or being backed up. */
    inFlight(runId: string): number {
      return (inFlight.get(runId) as { n: number }).n;
    },
    nextQueued(runId: string, limit: number): string[] {
      return (queued.all(runId, limit) as { instance_id: string }[]).map((row) => row.instance_id);
    },
    queuedCount(runId: string): number {
      return (queuedCount.get(runId) as { n: number }).n;
    },
    /** How many child backups the run has made (numbers the next one's idempotency key). */
    childCount(runId: string): number {
      return (children.get(runId) as { n: number }).n;
    },
    markSent(runId: string, instanceIds: readonly string[], childId: string): void {
      for (const instanceId of instanceIds) send.run(childId, runId, instanceId);
    },
    markSkipped(runId: string, instanceId: string, code: string, message: string): void {
      skip.run(code, message, runId, instanceId);
    },
    /** Skips every instance still queued (a cancelled run); returns how many. */
    skipQueued(runId: string, code: string, message: string): number {
      return skipAllQueued.run(code, message, runId).changes;
    },
    /** The run's child backups that have not ended. */
    openChildren(runId: string): string[] {
      return (openChildren.all(runId) as { id: string }[]).map((row) => row.id);
    },
    /** The run a child backup (or a retention deletion) belongs to, if it is one. */
    runOfChild(requestId: string): string | undefined {
      const row = (runOfChild.get(requestId) ?? runOfDelete.get(requestId)) as { run_id: string } | undefined;
      return row?.run_id;
    },
    /** The schedule's good backups not yet handed to a deletion. */
    scheduleBackups(scheduleId: string): { instanceId: string; backupFileId: string; createdAt: number }[] {
      return scheduleBackups.all(scheduleId) as { instanceId: string; backupFileId: string; createdAt: number }[];
    },
    /** Every good backup the bot made of these instances, newest first, with whether a restore was verified from it. */
    goodBackupsOf(
      instanceIds: readonly string[],
    ): { instanceId: string; backupFileId: string; createdAt: number; verified: boolean }[] {
      if (instanceIds.length === 0) return [];
      return (
        goodBackupsOf.all(JSON.stringify(instanceIds)) as {
          instanceId: string;
          backupFileId: string;
          createdAt: number;
          verified: number;
        }[]
      ).map((row) => ({ ...row, verified: row.verified === 1 }));
    },
    recordPrunes(
      input: { scheduleId: string; runId: string; deleteId: string; now: number },
      files: readonly { backupFileId: string; instanceId: string; reason: string }[],
    ): void {
      for (const file of files) {
        insertPrune.run(
          file.backupFileId,
          input.scheduleId,
          input.runId,
          input.deleteId,
          file.instanceId,
          file.reason,
          input.now,
        );
      }
    },
  };
}

export type ScheduleRunRepository = ReturnType<typeof createScheduleRunRepository>;
