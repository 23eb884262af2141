import type { Migration } from './index.js';

export const restores: Migration = {
  version: 3,
  name: 'restores, restore verifications, deletions',
  sql: `
    -- A restore: planned (step 'draft', never run), then confirmed and run by the restore runner.
    -- backup_json is the backup as the plan saw it (name, source instance, apps, the source's image facts and
    -- where they came from), so the runner re-checks targets against exactly what the person confirmed.
    CREATE TABLE restore_requests (
      id TEXT PRIMARY KEY,
      plan_key TEXT NOT NULL UNIQUE,
      confirm_key TEXT UNIQUE,
      team_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      channel_id TEXT NOT NULL,
      backup_file_id TEXT NOT NULL,
      backup_json TEXT NOT NULL,
      status TEXT NOT NULL,
      step TEXT NOT NULL,
      next_run_at INTEGER NOT NULL,
      step_started_at INTEGER NOT NULL,
      start_stopped INTEGER NOT NULL DEFAULT 0,
      parent_channel TEXT,
      parent_ts TEXT,
      progress_digest TEXT,
      failure_json TEXT,
      simulated INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      confirmed_at INTEGER,
      finished_at INTEGER
    );
    CREATE INDEX restore_requests_due ON restore_requests (step, next_run_at);
    CREATE INDEX restore_requests_file ON restore_requests (backup_file_id);
    CREATE INDEX restore_requests_user ON restore_requests (user_id, created_at);

    -- Per target: the plan's verdict (ready, needs-start, refused and why) and then the outcome.
    CREATE TABLE restore_targets (
      request_id TEXT NOT NULL REFERENCES restore_requests (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      instance_id TEXT NOT NULL,
      verdict TEXT NOT NULL,
      state TEXT NOT NULL,
      facts_json TEXT,
      overwrites_json TEXT,
      started_by_bot INTEGER NOT NULL DEFAULT 0,
      call_id INTEGER,
      task_id TEXT,
      error_code TEXT,
      error_message TEXT,
      error_request_id TEXT,
      PRIMARY KEY (request_id, instance_id)
    );
    CREATE INDEX restore_targets_instance ON restore_targets (instance_id);

    -- Mutating calls of restores (StartAndroidInstance, RecoverApp), written as 'sent' before they are made.
    CREATE TABLE restore_calls (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      request_id TEXT NOT NULL REFERENCES restore_requests (id) ON DELETE CASCADE,
      action TEXT NOT NULL,
      instance_ids_json TEXT NOT NULL,
      status TEXT NOT NULL,
      cloud_request_id TEXT,
      batch_task_id TEXT,
      error_code TEXT,
      error_message TEXT,
      sent_at INTEGER NOT NULL,
      finished_at INTEGER
    );
    CREATE INDEX restore_calls_request ON restore_calls (request_id);

    -- RecoverApp instance tasks being tracked (batched DescribeTasks, as for backups).
    CREATE TABLE restore_tasks (
      task_id TEXT PRIMARY KEY,
      request_id TEXT NOT NULL REFERENCES restore_requests (id) ON DELETE CASCADE,
      instance_id TEXT NOT NULL,
      status TEXT NOT NULL,
      polls INTEGER NOT NULL DEFAULT 0,
      misses INTEGER NOT NULL DEFAULT 0,
      next_poll_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      finished_at INTEGER
    );
    CREATE INDEX restore_tasks_open ON restore_tasks (finished_at, next_poll_at);

    -- The one completion reply per restore, written in the same transaction as the final state.
    CREATE TABLE restore_outbox (
      request_id TEXT PRIMARY KEY REFERENCES restore_requests (id) ON DELETE CASCADE,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT,
      posted_channel TEXT,
      posted_ts TEXT,
      created_at INTEGER NOT NULL,
      sent_at INTEGER
    );

    -- "I opened the apps and they work": who verified a restore from which backup, and when.
    CREATE TABLE backup_verifications (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      backup_file_id TEXT NOT NULL,
      restore_request_id TEXT NOT NULL UNIQUE REFERENCES restore_requests (id) ON DELETE CASCADE,
      team_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      instance_ids_json TEXT NOT NULL,
      verified_at INTEGER NOT NULL
    );
    CREATE INDEX backup_verifications_file ON backup_verifications (backup_file_id, verified_at);

    -- Deletions: planned when the confirmation is shown, then confirmed (once or twice) and sent.
    -- files_json is the files as the confirmation showed them (verified or not).
    CREATE TABLE delete_requests (
      id TEXT PRIMARY KEY,
      plan_key TEXT NOT NULL UNIQUE,
      team_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      channel_id TEXT NOT NULL,
      files_json TEXT NOT NULL,
      status TEXT NOT NULL,
      cloud_request_id TEXT,
      error_code TEXT,
      error_message TEXT,
      created_at INTEGER NOT NULL,
      confirmed_at INTEGER,
      finished_at INTEGER
    );
    CREATE INDEX delete_requests_status ON delete_requests (status, created_at);
  `,
};
