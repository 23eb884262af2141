/**
 * Deletions of backup files: planned when the confirmation is shown (with each file as the person saw it, verified
 * or not), then confirmed and marked 'sent' before DeleteBackupFile is called, then settled. A deletion left 'sent'
 * is looked up, never sent again.
 */
import type { Actor } from '../services/backup/model.js';
import type { Db } from './database.js';

export type DeleteStatus =
  | 'planned' // confirmation shown, not confirmed
  | 'sent' // confirmed; DeleteBackupFile about to be or being called
  | 'deleted' // accepted by the cloud (or found gone / DELETING when the outcome was unknown)
  | 'failed' // refused by the cloud
  | 'unknown'; // the bot cannot tell (and did not resend)

/** A file as the confirmation showed it. */
export interface DeleteFile {
  backupFileId: string;
  name?: string | undefined;
  sourceInstanceId?: string | undefined;
  /** Where the file is stored (`oss://…`), checked against the person's locations. */
  path?: string | undefined;
  apps: string[];
  sizeBytes?: number | undefined;
  status: string;
  /** The latest verification, if any. */
  verifiedBy?: { userId: string; at: number; restoreRequestId: string } | undefined;
  /** Set when this file cannot be deleted (then it is not sent). */
  refused?: { code: string; message: string } | undefined;
}

export interface DeleteRecord {
  id: string;
  actor: Actor;
  channelId: string;
  files: DeleteFile[];
  status: DeleteStatus;
  cloudRequestId: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  createdAt: number;
  confirmedAt: number | undefined;
  finishedAt: number | undefined;
}

interface Row {
  id: string;
  team_id: string;
  user_id: string;
  channel_id: string;
  files_json: string;
  status: DeleteStatus;
  cloud_request_id: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  confirmed_at: number | null;
  finished_at: number | null;
}

const toRecord = (row: Row): DeleteRecord => ({
  id: row.id,
  actor: { userId: row.user_id, teamId: row.team_id },
  channelId: row.channel_id,
  files: JSON.parse(row.files_json) as DeleteFile[],
  status: row.status,
  cloudRequestId: row.cloud_request_id ?? undefined,
  errorCode: row.error_code ?? undefined,
  errorMessage: row.error_message ?? undefined,
  createdAt: row.created_at,
  confirmedAt: row.confirmed_at ?? undefined,
  finishedAt: row.finished_at ?? undefined,
});

export function createDeleteRepository(db: Db) {
  const insert = db.prepare(`INSERT OR IGNORE INTO delete_requests
    (id, plan_key, team_id, user_id, channel_id, files_json, status, created_at)
    VALUES (?, ?, ?, ?, ?, ?, 'planned', ?)`);
  const byKey = db.prepare('SELECT id FROM delete_requests WHERE plan_key = ?');
  const byId = db.prepare('SELECT * FROM delete_requests WHERE id = ?');
  const markSent = db.prepare(
    `UPDATE delete_requests SET status = 'sent', confirmed_at = ? WHERE id = ? AND status = 'planned'`,
  );
  const settle = db.prepare(`UPDATE delete_requests SET status = ?, cloud_request_id = ?, error_code = ?,
    error_message = ?, finished_at = ? WHERE id = ?`);
  const deleted = db.prepare(`SELECT files_json FROM delete_requests WHERE status = 'deleted'`);
  const staleSent = db.prepare(`SELECT id FROM delete_requests WHERE status = 'sent' AND confirmed_at < ?`);

  return {
    createPlan(input: {
      id: string;
      planKey: string;
      actor: Actor;
      channelId: string;
      files: DeleteFile[];
      now: number;
    }): { id: string; created: boolean } {
      const changes = insert.run(
        input.id,
        input.planKey,
        input.actor.teamId,
        input.actor.userId,
        input.channelId,
        JSON.stringify(input.files),
        input.now,
      ).changes;
      if (changes > 0) return { id: input.id, created: true };
      return { id: (byKey.get(input.planKey) as { id: string }).id, created: false };
    },
    get(id: string): DeleteRecord | undefined {
      const row = byId.get(id) as Row | undefined;
      return row ? toRecord(row) : undefined;
    },
    /** Confirmed: recorded as 'sent' before the call. False when it was confirmed already (one deletion per plan). */
    markSent(id: string, now: number): boolean {
      return markSent.run(now, id).changes > 0;
    },
    settle(
      id: string,
      outcome: {
        status: Exclude<DeleteStatus, 'planned' | 'sent'>;
        cloudRequestId?: string | undefined;
        errorCode?: string | undefined;
        errorMessage?: string | undefined;
      },
      now: number,
    ): void {
      settle.run(
        outcome.status,
        outcome.cloudRequestId ?? null,
        outcome.errorCode ?? null,
        outcome.errorMessage ?? null,
        now,
        id,
      );
    },
    /** Files the bot deleted (so the catalog does not list the bot's record of them as missing). */
    deletedFileIds(): Set<string> {
      const ids = new Set<string>();
      for (const row of deleted.all() as { files_json: string }[]) {
        for (const file of JSON.parse(row.files_json) as DeleteFile[]) if (!file.refused) ids.add(file.backupFileId);
      }
      return ids;
    },
    /** Deletions confirmed before `before` and still 'sent' (the bot stopped between the record and the answer). */
    staleSentIds(before: number): string[] {
      return (staleSent.all(before) as { id: string }[]).map((row) => row.id);
    },
  };
}

export type DeleteRepository = ReturnType<typeof createDeleteRepository>;
