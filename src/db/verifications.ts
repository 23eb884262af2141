/**
 * Verified restores, of two kinds: `automatic`, written by the restore's verify step when the app probe found every
 * restored app as it was at backup time (with that evidence), and `manual`, written by the "Mark restore verified"
 * button when a person checked what a probe cannot (logins, features). One of each kind per restore request (the
 * first wins). The catalog and the deletion guard read both.
 */
import type { Actor } from '../services/backup/model.js';
import type { FileVerifications, Verification, VerificationKind } from '../services/restore/model.js';
import type { TargetCheck } from '../services/verify/compare.js';
import type { Db } from './database.js';

interface Row {
  backup_file_id: string;
  restore_request_id: string;
  kind: string;
  user_id: string | null;
  instance_ids_json: string;
  evidence_json: string | null;
  verified_at: number;
}

function evidenceOf(json: string | null): TargetCheck[] | undefined {
  if (json === null) return undefined;
  try {
    return JSON.parse(json) as TargetCheck[];
  } catch {
    // Damaged evidence must not hide that the restore was verified.
    return undefined;
  }
}

const toVerification = (row: Row): Verification => ({
  kind: row.kind === 'automatic' ? 'automatic' : 'manual',
  backupFileId: row.backup_file_id,
  restoreRequestId: row.restore_request_id,
  userId: row.user_id ?? undefined,
  at: new Date(row.verified_at),
  instanceIds: JSON.parse(row.instance_ids_json) as string[],
  evidence: evidenceOf(row.evidence_json),
});

export function createVerificationRepository(db: Db) {
  const insert = db.prepare(`INSERT OR IGNORE INTO backup_verifications
    (backup_file_id, restore_request_id, kind, team_id, user_id, instance_ids_json, evidence_json, verified_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const forRequest = db.prepare('SELECT * FROM backup_verifications WHERE restore_request_id = ? AND kind = ?');
  const forFiles = db.prepare(`SELECT * FROM backup_verifications
    WHERE backup_file_id IN (SELECT value FROM json_each(?)) ORDER BY verified_at, id`);
  const all = db.prepare('SELECT * FROM backup_verifications ORDER BY verified_at, id');

  function get(restoreRequestId: string, kind: VerificationKind): Verification | undefined {
    const row = forRequest.get(restoreRequestId, kind) as Row | undefined;
    return row ? toVerification(row) : undefined;
  }

  return {
    /** A person's verification; when they (or another) verified this restore already, returns that one, `created: false`. */
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
        'manual',
        input.actor.teamId,
        input.actor.userId,
        JSON.stringify(input.instanceIds),
        null,
        input.now,
      ).changes;
      return { created: changes > 0, verification: get(input.restoreRequestId, 'manual') as Verification };
    },
    /** The bot's own verification, with the checks that passed as evidence; once per restore. */
    addAutomatic(input: {
      backupFileId: string;
      restoreRequestId: string;
      teamId: string;
      evidence: readonly TargetCheck[];
      now: number;
    }): Verification {
      insert.run(
        input.backupFileId,
        input.restoreRequestId,
        'automatic',
        input.teamId,
        null,
        JSON.stringify(input.evidence.map((check) => check.instanceId)),
        JSON.stringify(input.evidence),
        input.now,
      );
      return get(input.restoreRequestId, 'automatic') as Verification;
    },
    /** The person's verification of a restore (the button's). */
    forRequest(restoreRequestId: string): Verification | undefined {
      return get(restoreRequestId, 'manual');
    },
    /** The bot's verification of a restore, when its checks passed. */
    automaticFor(restoreRequestId: string): Verification | undefined {
      return get(restoreRequestId, 'automatic');
    },
    /** The latest verification of each kind of each backup file (of these files, or of all). */
    latestByFile(backupFileIds?: readonly string[]): Map<string, FileVerifications> {
      const rows = (backupFileIds === undefined ? all.all() : forFiles.all(JSON.stringify(backupFileIds))) as Row[];
      const latest = new Map<string, FileVerifications>();
      for (const row of rows) {
        const verification = toVerification(row);
        latest.set(row.backup_file_id, { ...latest.get(row.backup_file_id), [verification.kind]: verification });
      }
      return latest;
    },
  };
}

export type VerificationRepository = ReturnType<typeof createVerificationRepository>;
