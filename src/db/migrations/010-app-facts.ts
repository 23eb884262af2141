import type { Migration } from './index.js';

/**
 * Automatic restore verification (issue 17). `app_facts`: what the app probe found on each source instance just
 * before its backup (or why it found nothing). `restore_checks`: what the probe found on each restored target and how
 * it compared, shown in the restore's reply. `backup_verifications` gains a kind (`automatic` by the bot, with its
 * evidence; `manual` by a person's button), so one restore may be verified once of each kind; the table is rebuilt
 * because SQLite cannot change a UNIQUE constraint in place.
 */
export const appFacts: Migration = {
  version: 10,
  name: 'app facts at backup time, restore checks, verification kinds',
  sql: `
    CREATE TABLE app_facts (
      request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
      instance_id TEXT NOT NULL,
      apps_json TEXT,
      miss TEXT,
      detail TEXT,
      probed_at INTEGER NOT NULL,
      PRIMARY KEY (request_id, instance_id)
    );

    CREATE TABLE restore_checks (
      request_id TEXT PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
      checks_json TEXT NOT NULL,
      checked_at INTEGER NOT NULL
    );

    CREATE TABLE backup_verifications_v10 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      backup_file_id TEXT NOT NULL,
      restore_request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
      kind TEXT NOT NULL,
      team_id TEXT NOT NULL,
      user_id TEXT,
      instance_ids_json TEXT NOT NULL,
      evidence_json TEXT,
      verified_at INTEGER NOT NULL,
      UNIQUE (restore_request_id, kind)
    );
    INSERT INTO backup_verifications_v10
      (id, backup_file_id, restore_request_id, kind, team_id, user_id, instance_ids_json, evidence_json, verified_at)
    SELECT id, backup_file_id, restore_request_id, 'manual', team_id, user_id, instance_ids_json, NULL, verified_at
    FROM backup_verifications;
    DROP TABLE backup_verifications;
    ALTER TABLE backup_verifications_v10 RENAME TO backup_verifications;
    CREATE INDEX backup_verifications_file ON backup_verifications (backup_file_id, verified_at);
  `,
};
