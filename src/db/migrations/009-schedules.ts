import type { Migration } from './index.js';

/**
 * Scheduled backups (issue 15): the schedule definitions. A schedule's runs are not here: each run is a request of the
 * shared request table (kind `schedule-run`) whose idempotency key is the schedule and its slot, so the table's
 * UNIQUE (kind, idempotency_key) makes "exactly one run per slot" hold across crashes. `next_slot_at` is the first
 * slot not yet taken; taking a slot inserts its run and moves it on in one transaction.
 */
export const schedules: Migration = {
  version: 9,
  name: 'schedules',
  sql: `
    CREATE TABLE schedules (
      id TEXT PRIMARY KEY,
      team_id TEXT NOT NULL,
      name TEXT NOT NULL,
      owner_id TEXT NOT NULL,
      spec_json TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'active',
      next_slot_at INTEGER,
      last_run_id TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      deleted_at INTEGER
    );
    CREATE UNIQUE INDEX schedules_by_name ON schedules (team_id, name) WHERE state != 'deleted';
    CREATE INDEX schedules_due ON schedules (next_slot_at) WHERE state = 'active';
  `,
};
