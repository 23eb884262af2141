/**
 * Backups in the shared request table (their spec in detail_json) and their instances. Statements are prepared once;
 * rows are parsed into the domain model at this edge.
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
import { headerOf, parseJson, type RequestHeader, type RequestRepository } from './requests.js';

/** Where a request is in its workflow. Each step is idempotent, so a restart re-runs the current one safely. */
export type WorkflowStep = 'announce' | 'lookup' | 'stop' | 'submit' | 'track' | 'start' | 'report' | 'done';

export interface BackupRequestRecord extends Omit<BackupRequestView, 'instances'>, Omit<RequestHeader, 'kind'> {
  instances: InstanceRecord[];
  idempotencyKey: string;
  step: WorkflowStep;
  nextRunAt: number;
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
  /**
   * A child of a scheduled run: no parent message of its own (the run's shows its progress), so it starts at
   * `lookup` and its completion reply is not posted (the kind's `quiet`).
   */
  quiet?: boolean | undefined;
}

export function createBackupRequestRepository(db: Db, requests: RequestRepository) {
  const insertInstance = db.prepare(
    `INSERT INTO request_instances (request_id, position, instance_id, state) VALUES (?, ?, ?, 'pending')`,
  );
  const instancesOf = db.prepare('SELECT * FROM request_instances WHERE request_id = ? ORDER BY position');

  const patchStatements = new Map<string, Database.Statement>();

  function get(id: string): BackupRequestRecord | undefined {
    const row = requests.row(id, 'backup');
    if (!row) return undefined;
    const instances = (instancesOf.all(id) as InstanceRow[]).map(toInstance);
    return {
      ...headerOf(row),
      step: row.step as WorkflowStep,
      idempotencyKey: row.idempotency_key,
      actor: { userId: row.user_id, teamId: row.team_id },
      channelId: row.channel_id,
      spec: JSON.parse(row.detail_json) as BackupSpec,
      status: row.status as RequestStatus,
      nextRunAt: row.next_run_at,
      createdAt: new Date(row.created_at),
      finishedAt: row.finished_at === null ? undefined : new Date(row.finished_at),
      instances,
      failure: parseJson<CloudFailure>(row.failure_json),
      simulated: row.simulated === 1,
    };
  }

  return {
    /** Records a request and its instances. Returns the existing id when the idempotency key was seen before. */
    create(input: NewBackupRequest): { id: string; created: boolean } {
      return db.transaction(() => {
        const result = requests.create({
          id: input.id,
          kind: 'backup',
          idempotencyKey: input.idempotencyKey,
          actor: input.actor,
          channelId: input.channelId,
          detail: input.spec,
          status: input.quiet ? 'running' : 'received',
          step: input.quiet ? 'lookup' : 'announce',
          simulated: input.simulated,
          now: input.now,
        });
        if (!result.created) return result;
        input.spec.instanceIds.forEach((instanceId, position) => {
          insertInstance.run(input.id, position, instanceId);
        });
        return result;
      })();
    },
    get,
    recentIds(limit: number, userId?: string): string[] {
      return requests.recentIds('backup', limit, userId);
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
