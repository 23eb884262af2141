/**
 * Who verified a restore from which backup, and when: the "Mark restore verified" button writes here; the catalog and
 * the deletion guard read it. One verification per restore request (the first click wins).
 */
import type { Actor } from '../services/backup/model.js';
import type { Verification } from '../services/restore/model.js';
import type { Db } from './database.js';

interface Row {
  backup_file_id: string;
  restore_request_id: string;
  user_id: string;
  instance_ids_json: string;
  verified_at: number;
}

const toVerification = (row: Row): Verification => ({
  backupFileId: row.backup_file_id,
  restoreRequestId: row.restore_request_id,
  userId: row.user_id,
  at: new Date(row.verified_at),
  instanceIds: JSON.parse(row.instance_ids_json) as string[],
});

export function createVerificationRepository(db: Db) {
  const insert = db.prepare(`INSERT OR IGNORE INTO backup_verifications
    (backup_file_id, restore_request_id, team_id, user_id, instance_ids_json, verified_at) VALUES (?, ?, ?, ?, ?, ?)`);
  const forRequest = db.prepare('SELECT * FROM backup_verifications WHERE restore_request_id = ?');
  const forFiles = db.prepare(`SELECT * FROM backup_verifications
    WHERE backup_file_id IN (SELECT value FROM json_each(?)) ORDER BY verified_at, id`);
  const all = db.prepare('SELECT * FROM backup_verifications ORDER BY verified_at, id');

  return {
    /** Records a verification; when this restore was verified already, returns that one with `created: false`. */
    add(input: {
      backupFileId: string;
      restoreRequestId: string;
      actor: Actor;
      instanceIds: readonly string[];
      now: number;
    }): { created: boolean; verification: Verification } {
      const changes = insert.run(
        input.backupFileId,
        input.restoreRequestId,
        input.actor.teamId,
        input.actor.userId,
        JSON.stringify(input.instanceIds),
        input.now,
      ).changes;
      return { created: changes > 0, verification: toVerification(forRequest.get(input.restoreRequestId) as Row) };
    },
    forRequest(restoreRequestId: string): Verification | undefined {
      const row = forRequest.get(restoreRequestId) as Row | undefined;
      return row ? toVerification(row) : undefined;
    },
    /** The latest verification of each backup file (of these files, or of all). */
    latestByFile(backupFileIds?: readonly string[]): Map<string, Verification> {
      const rows = (backupFileIds === undefined ? all.all() : forFiles.all(JSON.stringify(backupFileIds))) as Row[];
      const latest = new Map<string, Verification>();
      for (const row of rows) latest.set(row.backup_file_id, toVerification(row));
      return latest;
    },
  };
}

export type VerificationRepository = ReturnType<typeof createVerificationRepository>;
