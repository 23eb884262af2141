import type { Migration } from './index.js';

export const initialSchema: Migration = {
  version: 1,
  name: 'backup requests, instances, cloud calls, tasks, outbox',
  sql: `
    -- One row per person's request. idempotency_key makes a doubly delivered submission start one backup.
    CREATE TABLE backup_requests (
      id TEXT PRIMARY KEY,
      idempotency_key TEXT NOT NULL UNIQUE,
      team_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      channel_id TEXT NOT NULL,
      spec_json TEXT NOT NULL,
      status TEXT NOT NULL,
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
      finished_at INTEGER
    );
    CREATE INDEX backup_requests_due ON backup_requests (step, next_run_at);

    -- Per instance of a request: the facts a restore must match later, and the outcome.
    CREATE TABLE request_instances (
      request_id TEXT NOT NULL REFERENCES backup_requests (id) ON DELETE CASCADE,
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

    -- Every mutating cloud call, written as 'sent' BEFORE it is made, so a crash or timeout leaves a trace
    -- and the bot reconciles instead of sending it again.
    CREATE TABLE cloud_calls (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      request_id TEXT NOT NULL REFERENCES backup_requests (id) ON DELETE CASCADE,
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
    CREATE INDEX cloud_calls_request ON cloud_calls (request_id);

    -- Cloud tasks still being tracked, polled in batches of up to 100 by next_poll_at.
    CREATE TABLE tasks (
      task_id TEXT PRIMARY KEY,
      request_id TEXT NOT NULL REFERENCES backup_requests (id) ON DELETE CASCADE,
      instance_id TEXT NOT NULL,
      status TEXT NOT NULL,
      polls INTEGER NOT NULL DEFAULT 0,
      next_poll_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      finished_at INTEGER
    );
    CREATE INDEX tasks_open ON tasks (finished_at, next_poll_at);

    -- Durable outbox for the completion reply: written in the same transaction as the final state.
    CREATE TABLE outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      request_id TEXT NOT NULL REFERENCES backup_requests (id) ON DELETE CASCADE,
      kind TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT,
      posted_ts TEXT,
      created_at INTEGER NOT NULL,
      sent_at INTEGER,
      UNIQUE (request_id, kind)
    );
  `,
};
