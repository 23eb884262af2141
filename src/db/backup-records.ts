/**
 * Read-only queries over the backup workflow's tables, for the catalog, restores and `/cloudphone status`: which
 * backup files the bot made (with the source facts it recorded), and which request a task, an instance or a cloud
 * RequestId belongs to. The backup workflow owns these tables; nothing here writes to them.
 */
import type { BackupSpec } from '../services/backup/model.js';
import type { ImageFacts } from '../services/restore/model.js';
import type { Db } from './database.js';

/** A backup file the bot made, as its records show it. */
export interface BotBackup {
  backupFileId: string;
  backupFileName?: string | undefined;
  backupFilePath?: string | undefined;
  sizeBytes?: number | undefined;
  instanceId: string;
  /** The instance's state in the backup request (succeeded, failed, submitted…). */
  state: string;
  requestId: string;
  userId: string;
  apps: string[];
  uploadEndpoint?: string | undefined;
  createdAt: number;
  finishedAt?: number | undefined;
  /** As recorded at backup time; fields may be missing. */
  facts: ImageFacts;
}

interface Row {
  backup_file_id: string;
  backup_file_name: string | null;
  backup_file_path: string | null;
  size_bytes: number | null;
  instance_id: string;
  state: string;
  image_id: string | null;
  image_version: string | null;
  instance_type: string | null;
  image_kind: string | null;
  server_type: string | null;
  request_id: string;
  user_id: string;
  spec_json: string;
  created_at: number;
  finished_at: number | null;
}

const u = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

function toBackup(row: Row): BotBackup {
  let spec: Partial<BackupSpec> = {};
  try {
    spec = JSON.parse(row.spec_json) as BackupSpec;
  } catch {
    // A damaged spec must not hide the backup; its apps are then unknown.
  }
  return {
    backupFileId: row.backup_file_id,
    backupFileName: u(row.backup_file_name),
    backupFilePath: u(row.backup_file_path),
    sizeBytes: u(row.size_bytes),
    instanceId: row.instance_id,
    state: row.state,
    requestId: row.request_id,
    userId: row.user_id,
    apps: Array.isArray(spec.apps) ? spec.apps : [],
    uploadEndpoint: spec.uploadEndpoint,
    createdAt: row.created_at,
    finishedAt: u(row.finished_at),
    facts: {
      imageId: u(row.image_id),
      imageVersion: u(row.image_version),
      instanceType: u(row.instance_type),
      imageKind: u(row.image_kind),
      serverType: u(row.server_type),
    },
  };
}

const SELECT = `SELECT ri.backup_file_id, ri.backup_file_name, ri.backup_file_path, ri.size_bytes, ri.instance_id,
    ri.state, ri.image_id, ri.image_version, ri.instance_type, ri.image_kind, ri.server_type,
    br.id AS request_id, br.user_id, br.detail_json AS spec_json, br.created_at, br.finished_at
  FROM request_instances ri JOIN requests br ON br.id = ri.request_id`;

export function createBackupRecordQueries(db: Db) {
  const all = db.prepare(`${SELECT} WHERE ri.backup_file_id IS NOT NULL AND (? IS NULL OR ri.instance_id = ?)
    ORDER BY br.created_at DESC LIMIT ?`);
  const byFile = db.prepare(`${SELECT} WHERE ri.backup_file_id = ? LIMIT 1`);
  const latestForInstance = db.prepare(`SELECT br.id FROM requests br
    JOIN request_instances ri ON ri.request_id = br.id WHERE ri.instance_id = ? ORDER BY br.created_at DESC LIMIT 1`);
  const taskIdsOf = db.prepare('SELECT task_id FROM request_instances WHERE request_id = ? AND task_id IS NOT NULL');

  return {
    /** Backup files the bot made, newest first (optionally of one source instance). */
    list(filter: { instanceId?: string | undefined; limit?: number } = {}): BotBackup[] {
      const instanceId = filter.instanceId ?? null;
      return (all.all(instanceId, instanceId, filter.limit ?? 1000) as Row[]).map(toBackup);
    },
    byBackupFile(backupFileId: string): BotBackup | undefined {
      const row = byFile.get(backupFileId) as Row | undefined;
      return row ? toBackup(row) : undefined;
    },
    latestRequestForInstance(instanceId: string): string | undefined {
      return (latestForInstance.get(instanceId) as { id: string } | undefined)?.id;
    },
    taskIdsOf(requestId: string): string[] {
      return (taskIdsOf.all(requestId) as { task_id: string }[]).map((row) => row.task_id);
    },
  };
}

export type BackupRecordQueries = ReturnType<typeof createBackupRecordQueries>;
