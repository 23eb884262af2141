import type { Migration } from './index.js';

/**
 * One request model for every kind of work (backup, restore, delete, and the kinds to come), with one cloud-call
 * ledger, one task table and one outbox, in place of a table set per flow (001, 003). Rows written by earlier releases
 * are moved, not lost: requests in flight carry on where they were. A deletion confirmed but never settled gets a
 * 'sent' DeleteBackupFile call in the ledger, so it is looked up, never sent again.
 *
 * New tables are built beside the old ones (`_v6`), filled, then the old ones dropped (children first, as foreign keys
 * are on) and the new ones renamed. Restore calls are renumbered after the backup calls so one ledger can hold both.
 */
export const onePipeline: Migration = {
  version: 6,
  name: 'one request model, ledger, task table and outbox for every kind',
  sql: `
    -- One row per person's request, whatever its kind. idempotency_key: a doubly delivered submission (backup) or
    -- plan (restore, delete) records one request; confirm_key: a doubly delivered confirmation starts it once.
    -- detail_json holds what only one kind has: a backup's spec, a restore's backup and choice, a deletion's files.
    CREATE TABLE requests (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      idempotency_key TEXT NOT NULL,
      confirm_key TEXT UNIQUE,
      team_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      channel_id TEXT NOT NULL,
      detail_json TEXT NOT NULL,
      status TEXT NOT NULL,
      -- 'draft': planned, waiting for the person's confirmation (the runner never takes it); 'done': finished.
      step TEXT NOT NULL,
      next_run_at INTEGER NOT NULL,
      step_started_at INTEGER NOT NULL,
      parent_channel TEXT,
      parent_ts TEXT,
      progress_posted_at INTEGER,
      progress_digest TEXT,
      failure_json TEXT,
      simulated INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      confirmed_at INTEGER,
      finished_at INTEGER,
      UNIQUE (kind, idempotency_key)
    );

    CREATE TABLE request_instances_v6 (
      request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      instance_id TEXT NOT NULL,
      state TEXT NOT NULL,
      image_id TEXT,
      image_version TEXT,
      instance_type TEXT,
      image_kind TEXT,
      server_type TEXT,
      stopped_by_bot INTEGER NOT NULL DEFAULT 0,
      call_id INTEGER,
      task_id TEXT,
      backup_file_id TEXT,
      backup_file_name TEXT,
      backup_file_path TEXT,
      size_bytes INTEGER,
      error_code TEXT,
      error_message TEXT,
      error_request_id TEXT,
      restart_json TEXT,
      PRIMARY KEY (request_id, instance_id)
    );

    CREATE TABLE restore_targets_v6 (
      request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
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

    -- Every mutating call (cloud, and the parent message post), written as 'sent' before it is made, so a crash or
    -- timeout leaves a trace and the bot looks its effect up instead of sending it again. instance_ids_json: the
    -- instances the call was for (empty for a deletion or a Slack post).
    CREATE TABLE cloud_calls_v6 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
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

    -- Cloud tasks of any kind still being tracked, polled in DescribeTasks batches of up to 100 by next_poll_at.
    -- misses: polls in a row the API did not return the task (lost after a few).
    CREATE TABLE tasks_v6 (
      task_id TEXT PRIMARY KEY,
      request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
      instance_id TEXT NOT NULL,
      status TEXT NOT NULL,
      polls INTEGER NOT NULL DEFAULT 0,
      misses INTEGER NOT NULL DEFAULT 0,
      next_poll_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      finished_at INTEGER
    );

    -- Messages that must arrive exactly once (the completion reply), written in the same transaction as the state
    -- they report.
    CREATE TABLE outbox_v6 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
      message TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT,
      posted_channel TEXT,
      posted_ts TEXT,
      created_at INTEGER NOT NULL,
      sent_at INTEGER,
      UNIQUE (request_id, message)
    );

    CREATE TABLE backup_verifications_v6 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      backup_file_id TEXT NOT NULL,
      restore_request_id TEXT NOT NULL UNIQUE REFERENCES requests (id) ON DELETE CASCADE,
      team_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      instance_ids_json TEXT NOT NULL,
      verified_at INTEGER NOT NULL
    );

    INSERT INTO requests (id, kind, idempotency_key, confirm_key, team_id, user_id, channel_id, detail_json, status,
      step, next_run_at, step_started_at, parent_channel, parent_ts, progress_posted_at, progress_digest, failure_json,
      simulated, created_at, updated_at, confirmed_at, finished_at)
    SELECT id, 'backup', idempotency_key, NULL, team_id, user_id, channel_id, spec_json, status,
      step, next_run_at, step_started_at, parent_channel, parent_ts, progress_posted_at, progress_digest, failure_json,
      simulated, created_at, updated_at, created_at, finished_at
    FROM backup_requests;

    INSERT INTO requests (id, kind, idempotency_key, confirm_key, team_id, user_id, channel_id, detail_json, status,
      step, next_run_at, step_started_at, parent_channel, parent_ts, progress_posted_at, progress_digest, failure_json,
      simulated, created_at, updated_at, confirmed_at, finished_at)
    SELECT id, 'restore', plan_key, confirm_key, team_id, user_id, channel_id,
      json_object('backup', json(backup_json), 'startStopped', json(CASE WHEN start_stopped = 1 THEN 'true' ELSE 'false' END)),
      status, step, next_run_at, step_started_at, parent_channel, parent_ts, NULL, progress_digest, failure_json,
      simulated, created_at, updated_at, confirmed_at, finished_at
    FROM restore_requests;

    -- A deletion 'sent' was confirmed and may have reached the cloud: it goes on at the 'send' step, which finds the
    -- ledger entry below and looks the files up. Settled ones are done (their result was posted, or lost with the
    -- process that held it: nothing here says which).
    INSERT INTO requests (id, kind, idempotency_key, confirm_key, team_id, user_id, channel_id, detail_json, status,
      step, next_run_at, step_started_at, simulated, created_at, updated_at, confirmed_at, finished_at)
    SELECT id, 'delete', plan_key, NULL, team_id, user_id, channel_id,
      json_object('files', json(files_json), 'cloudRequestId', cloud_request_id, 'errorCode', error_code,
        'errorMessage', error_message),
      status, CASE status WHEN 'planned' THEN 'draft' WHEN 'sent' THEN 'send' ELSE 'done' END,
      COALESCE(confirmed_at, created_at), COALESCE(confirmed_at, created_at), 0,
      created_at, COALESCE(finished_at, confirmed_at, created_at), confirmed_at, finished_at
    FROM delete_requests;

    -- The confirmation's audit entry gets the deletion's id, so the runner records the outcome on it when it settles.
    UPDATE audit_log SET request_id = json_extract(params_json, '$.deleteId')
    WHERE action = 'delete' AND decision = 'allowed' AND request_id IS NULL
      AND json_extract(params_json, '$.step') = 'confirm'
      AND json_extract(params_json, '$.deleteId') IN (SELECT id FROM delete_requests WHERE status = 'sent');

    INSERT INTO request_instances_v6 SELECT * FROM request_instances;

    INSERT INTO cloud_calls_v6 SELECT * FROM cloud_calls;
    INSERT INTO cloud_calls_v6 (id, request_id, action, instance_ids_json, status, cloud_request_id, batch_task_id,
      error_code, error_message, sent_at, finished_at)
    SELECT id + (SELECT COALESCE(MAX(id), 0) FROM cloud_calls), request_id, action, instance_ids_json, status,
      cloud_request_id, batch_task_id, error_code, error_message, sent_at, finished_at
    FROM restore_calls;
    INSERT INTO cloud_calls_v6 (request_id, action, instance_ids_json, status, sent_at)
    SELECT id, 'DeleteBackupFile', '[]', 'sent', COALESCE(confirmed_at, created_at)
    FROM delete_requests WHERE status = 'sent';

    INSERT INTO restore_targets_v6 (request_id, position, instance_id, verdict, state, facts_json, overwrites_json,
      started_by_bot, call_id, task_id, error_code, error_message, error_request_id)
    SELECT request_id, position, instance_id, verdict, state, facts_json, overwrites_json, started_by_bot,
      CASE WHEN call_id IS NULL THEN NULL ELSE call_id + (SELECT COALESCE(MAX(id), 0) FROM cloud_calls) END,
      task_id, error_code, error_message, error_request_id
    FROM restore_targets;

    INSERT INTO tasks_v6 (task_id, request_id, instance_id, status, polls, misses, next_poll_at, created_at,
      finished_at)
    SELECT task_id, request_id, instance_id, status, polls, 0, next_poll_at, created_at, finished_at FROM tasks;
    INSERT INTO tasks_v6 (task_id, request_id, instance_id, status, polls, misses, next_poll_at, created_at,
      finished_at)
    SELECT task_id, request_id, instance_id, status, polls, misses, next_poll_at, created_at, finished_at
    FROM restore_tasks;

    INSERT INTO outbox_v6 (request_id, message, status, attempts, next_attempt_at, last_error, posted_channel,
      posted_ts, created_at, sent_at)
    SELECT request_id, kind, status, attempts, next_attempt_at, last_error, NULL, posted_ts, created_at, sent_at
    FROM outbox;
    INSERT INTO outbox_v6 (request_id, message, status, attempts, next_attempt_at, last_error, posted_channel,
      posted_ts, created_at, sent_at)
    SELECT request_id, 'completion', status, attempts, next_attempt_at, last_error, posted_channel, posted_ts,
      created_at, sent_at
    FROM restore_outbox;

    INSERT INTO backup_verifications_v6 SELECT * FROM backup_verifications;

    DROP TABLE backup_verifications;
    DROP TABLE restore_outbox;
    DROP TABLE restore_tasks;
    DROP TABLE restore_calls;
    DROP TABLE restore_targets;
    DROP TABLE restore_requests;
    DROP TABLE delete_requests;
    DROP TABLE outbox;
    DROP TABLE tasks;
    DROP TABLE cloud_calls;
    DROP TABLE request_instances;
    DROP TABLE backup_requests;

    ALTER TABLE request_instances_v6 RENAME TO request_instances;
    ALTER TABLE restore_targets_v6 RENAME TO restore_targets;
    ALTER TABLE cloud_calls_v6 RENAME TO cloud_calls;
    ALTER TABLE tasks_v6 RENAME TO tasks;
    ALTER TABLE outbox_v6 RENAME TO outbox;
    ALTER TABLE backup_verifications_v6 RENAME TO backup_verifications;

    -- What the runner asks after every step: the unfinished requests by wake time (finished ones pile up for good).
    CREATE INDEX requests_unfinished ON requests (next_run_at) WHERE step NOT IN ('draft', 'done');
    CREATE INDEX requests_recent ON requests (kind, created_at);
    CREATE INDEX request_instances_backup_file ON request_instances (backup_file_id);
    CREATE INDEX restore_targets_instance ON restore_targets (instance_id);
    CREATE INDEX cloud_calls_request ON cloud_calls (request_id);
    CREATE INDEX cloud_calls_cloud_request ON cloud_calls (cloud_request_id) WHERE cloud_request_id IS NOT NULL;
    CREATE INDEX tasks_open ON tasks (finished_at, next_poll_at);
    CREATE INDEX tasks_request_open ON tasks (request_id, finished_at);
    CREATE INDEX outbox_posted ON outbox (posted_channel, posted_ts) WHERE posted_ts IS NOT NULL;
    CREATE INDEX backup_verifications_file ON backup_verifications (backup_file_id, verified_at);
  `,
};
