/**
 * Repository for backup requests and their instances. Statements are prepared once; rows are parsed into the
 * domain model at this edge.
 */

import type Database from 'better-sqlite3';
import type {
  Actor,
  BackupRequestView,
  BackupSpec,
  CloudFailure,
  InstanceProgress,
  InstanceState,
  RequestStatus,
} from '../services/backup/model.js';
import type { Db } from './database.js';

/** Where a request is in its workflow. Each step is idempotent, so a restart re-runs the current one safely. */
export type WorkflowStep = 'announce' | 'lookup' | 'stop' | 'submit' | 'track' | 'start' | 'report' | 'done';

export interface BackupRequestRecord extends Omit<BackupRequestView, 'instances'> {
  instances: InstanceRecord[];
  idempotencyKey: string;
  step: WorkflowStep;
  nextRunAt: number;
  stepStartedAt: number;
  parent: { channel: string; ts: string } | undefined;
  progressPostedAt: number | undefined;
  progressDigest: string | undefined;
}

interface RequestRow {
  id: string;
  idempotency_key: string;
  team_id: string;
  user_id: string;
  channel_id: string;
  spec_json: string;
  status: RequestStatus;
  step: WorkflowStep;
  next_run_at: number;
  step_started_at: number;
  parent_channel: string | null;
  parent_ts: string | null;
  progress_posted_at: number | null;
  progress_digest: string | null;
  failure_json: string | null;
  simulated: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

interface InstanceRow {
  request_id: string;
  position: number;
  instance_id: string;
  state: InstanceState;
  image_id: string | null;
  image_version: string | null;
  instance_type: string | null;
  image_kind: string | null;
  server_type: string | null;
  stopped_by_bot: number;
  call_id: number | null;
  task_id: string | null;
  backup_file_id: string | null;
  backup_file_name: string | null;
  backup_file_path: string | null;
  size_bytes: number | null;
  error_code: string | null;
  error_message: string | null;
  error_request_id: string | null;
  restart_json: string | null;
}

export interface InstanceRecord extends InstanceProgress {
  serverType?: string | undefined;
  callId?: number | undefined;
  backupFilePath?: string | undefined;
}

/** Fields to change; `callId: null` detaches an instance from a call that provably did not reach it. */
export type InstancePatch = Partial<Omit<InstanceRecord, 'instanceId' | 'callId'>> & { callId?: number | null };

const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

function toInstance(row: InstanceRow): InstanceRecord {
  return {
    instanceId: row.instance_id,
    state: row.state,
    imageId: orUndefined(row.image_id),
    imageVersion: orUndefined(row.image_version),
    instanceType: orUndefined(row.instance_type),
    imageKind: orUndefined(row.image_kind),
    serverType: orUndefined(row.server_type),
    stoppedByBot: row.stopped_by_bot === 1,
    callId: orUndefined(row.call_id),
    taskId: orUndefined(row.task_id),
    backupFileId: orUndefined(row.backup_file_id),
    backupFileName: orUndefined(row.backup_file_name),
    backupFilePath: orUndefined(row.backup_file_path),
    sizeBytes: orUndefined(row.size_bytes),
    errorCode: orUndefined(row.error_code),
    errorMessage: orUndefined(row.error_message),
    requestId: orUndefined(row.error_request_id),
    restart: row.restart_json ? (JSON.parse(row.restart_json) as InstanceProgress['restart']) : undefined,
  };
}

const INSTANCE_COLUMNS: Record<keyof InstancePatch, string> = {
  state: 'state',
  imageId: 'image_id',
  imageVersion: 'image_version',
  instanceType: 'instance_type',
  imageKind: 'image_kind',
  serverType: 'server_type',
  stoppedByBot: 'stopped_by_bot',
  callId: 'call_id',
  taskId: 'task_id',
  backupFileId: 'backup_file_id',
  backupFileName: 'backup_file_name',
  backupFilePath: 'backup_file_path',
  sizeBytes: 'size_bytes',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  requestId: 'error_request_id',
  restart: 'restart_json',
};

export interface NewBackupRequest {
  id: string;
  idempotencyKey: string;
  actor: Actor;
  channelId: string;
  spec: BackupSpec;
  simulated: boolean;
  now: number;
}

export function createBackupRequestRepository(db: Db) {
  const insertRequest = db.prepare(`INSERT OR IGNORE INTO backup_requests
    (id, idempotency_key, team_id, user_id, channel_id, spec_json, status, step, next_run_at,
     step_started_at, simulated, created_at, updated_at)
    VALUES (@id, @idempotencyKey, @teamId, @userId, @channelId, @specJson, 'received', 'announce', @now,
     @now, @simulated, @now, @now)`);
  const insertInstance = db.prepare(
    `INSERT INTO request_instances (request_id, position, instance_id, state) VALUES (?, ?, ?, 'pending')`,
  );
  const byKey = db.prepare('SELECT id FROM backup_requests WHERE idempotency_key = ?');
  const byId = db.prepare('SELECT * FROM backup_requests WHERE id = ?');
  const instancesOf = db.prepare('SELECT * FROM request_instances WHERE request_id = ? ORDER BY position');
  // Requests still to announce come last: an announce waits for its channel's Slack spacing (about a message a
  // second) and holds an engine slot meanwhile, so with dozens queued in one channel a request whose backup already
  // ended would otherwise wait behind all of them for a slot (npm run bench, reply latency).
  const due = db.prepare(
    `SELECT id FROM backup_requests WHERE step <> 'done' AND next_run_at <= ?
     ORDER BY step = 'announce', next_run_at LIMIT ?`,
  );
  const nextWake = db.prepare(
    `SELECT MIN(next_run_at) AS at FROM backup_requests WHERE step <> 'done' AND next_run_at > ?`,
  );
  const unfinished = db.prepare(`SELECT COUNT(*) AS n FROM backup_requests WHERE step <> 'done'`);
  const setStepStmt = db.prepare(
    `UPDATE backup_requests SET step = ?, next_run_at = ?, step_started_at = ?, updated_at = ? WHERE id = ?`,
  );
  const wakeStmt = db.prepare('UPDATE backup_requests SET next_run_at = ?, updated_at = ? WHERE id = ?');
  const setStatusStmt = db.prepare('UPDATE backup_requests SET status = ?, updated_at = ? WHERE id = ?');
  const finishStmt = db.prepare(
    `UPDATE backup_requests SET status = ?, step = 'report', next_run_at = ?, finished_at = ?, updated_at = ? WHERE id = ?`,
  );
  const setParentStmt = db.prepare(
    'UPDATE backup_requests SET parent_channel = ?, parent_ts = ?, updated_at = ? WHERE id = ?',
  );
  const setFailureStmt = db.prepare('UPDATE backup_requests SET failure_json = ?, updated_at = ? WHERE id = ?');
  const setProgressStmt = db.prepare(
    'UPDATE backup_requests SET progress_posted_at = ?, progress_digest = ? WHERE id = ?',
  );
  const recent = db.prepare(
    'SELECT id FROM backup_requests WHERE (? IS NULL OR user_id = ?) ORDER BY created_at DESC LIMIT ?',
  );

  const patchStatements = new Map<string, Database.Statement>();

  function get(id: string): BackupRequestRecord | undefined {
    const row = byId.get(id) as RequestRow | undefined;
    if (!row) return undefined;
    const instances = (instancesOf.all(id) as InstanceRow[]).map(toInstance);
    return {
      id: row.id,
      idempotencyKey: row.idempotency_key,
      actor: { userId: row.user_id, teamId: row.team_id },
      channelId: row.channel_id,
      spec: JSON.parse(row.spec_json) as BackupSpec,
      status: row.status,
      step: row.step,
      nextRunAt: row.next_run_at,
      stepStartedAt: row.step_started_at,
      createdAt: new Date(row.created_at),
      finishedAt: row.finished_at === null ? undefined : new Date(row.finished_at),
      instances,
      failure: row.failure_json ? (JSON.parse(row.failure_json) as CloudFailure) : undefined,
      simulated: row.simulated === 1,
      parent: row.parent_channel && row.parent_ts ? { channel: row.parent_channel, ts: row.parent_ts } : undefined,
      progressPostedAt: orUndefined(row.progress_posted_at),
      progressDigest: orUndefined(row.progress_digest),
    };
  }

  return {
    /** Records a request and its instances. Returns the existing id when the idempotency key was seen before. */
    create(input: NewBackupRequest): { id: string; created: boolean } {
      return db.transaction(() => {
        const result = insertRequest.run({
          id: input.id,
          idempotencyKey: input.idempotencyKey,
          teamId: input.actor.teamId,
          userId: input.actor.userId,
          channelId: input.channelId,
          specJson: JSON.stringify(input.spec),
          simulated: input.simulated ? 1 : 0,
          now: input.now,
        });
        if (result.changes === 0) {
          const existing = byKey.get(input.idempotencyKey) as { id: string };
          return { id: existing.id, created: false };
        }
        input.spec.instanceIds.forEach((instanceId, position) => {
          insertInstance.run(input.id, position, instanceId);
        });
        return { id: input.id, created: true };
      })();
    },
    get,
    dueIds(now: number, limit: number): string[] {
      return (due.all(now, limit) as { id: string }[]).map((row) => row.id);
    },
    /** When the soonest unfinished request not due at `now` wakes. */
    nextWakeAfter(now: number): number | undefined {
      return (nextWake.get(now) as { at: number | null }).at ?? undefined;
    },
    unfinishedCount(): number {
      return (unfinished.get() as { n: number }).n;
    },
    recentIds(limit: number, userId?: string): string[] {
      return (recent.all(userId ?? null, userId ?? null, limit) as { id: string }[]).map((row) => row.id);
    },
    setStep(id: string, step: WorkflowStep, nextRunAt: number, now: number): void {
      setStepStmt.run(step, nextRunAt, now, now, id);
    },
    wakeAt(id: string, at: number, now: number): void {
      wakeStmt.run(at, now, id);
    },
    setStatus(id: string, status: RequestStatus, now: number): void {
      setStatusStmt.run(status, now, id);
    },
    /** Final status, and on to the report step. */
    finish(id: string, status: RequestStatus, now: number): void {
      finishStmt.run(status, now, now, now, id);
    },
    setParent(id: string, channel: string, ts: string, now: number): void {
      setParentStmt.run(channel, ts, now, id);
    },
    setFailure(id: string, failure: CloudFailure, now: number): void {
      setFailureStmt.run(JSON.stringify(failure), now, id);
    },
    setProgressPosted(id: string, at: number, digest: string): void {
      setProgressStmt.run(at, digest, id);
    },
    updateInstance(requestId: string, instanceId: string, patch: InstancePatch): void {
      const entries = Object.entries(patch).filter(([, value]) => value !== undefined) as [
        keyof InstancePatch,
        unknown,
      ][];
      if (entries.length === 0) return;
      const assignments = entries.map(([key]) => `${INSTANCE_COLUMNS[key]} = ?`).join(', ');
      const values = entries.map(([, value]) =>
        value === null
          ? null
          : typeof value === 'boolean'
            ? value
              ? 1
              : 0
            : typeof value === 'object'
              ? JSON.stringify(value)
              : value,
      );
      // Column names come from the fixed map above, never from input; values are bound. One statement per column set.
      let statement = patchStatements.get(assignments);
      if (!statement) {
        statement = db.prepare(`UPDATE request_instances SET ${assignments} WHERE request_id = ? AND instance_id = ?`);
        patchStatements.set(assignments, statement);
      }
      statement.run(...values, requestId, instanceId);
    },
  };
}

export type BackupRequestRepository = ReturnType<typeof createBackupRequestRepository>;
