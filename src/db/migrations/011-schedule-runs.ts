import type { Migration } from './index.js';

/**
 * Runs of scheduled backups (issue 15). A run is a request of the shared table (kind `schedule-run`); what only a run
 * has is its instances, here, each queued until a wave takes it, then sent (in a child backup request, `child_id`) or
 * skipped (with the reason). The instance's outcome is the child backup's, never copied here. `schedule_prunes` keeps
 * every backup file a run's retention handed to a child deletion, so a later run does not count it again.
 */
export const scheduleRuns: Migration = {
  version: 11,
  name: 'schedule runs',
  sql: `
    CREATE TABLE schedule_run_instances (
      run_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
      schedule_id TEXT NOT NULL,
      position INTEGER NOT NULL,
      instance_id TEXT NOT NULL,
      state TEXT NOT NULL,
      child_id TEXT,
      reason_code TEXT,
      reason_message TEXT,
      PRIMARY KEY (run_id, instance_id)
    );
    CREATE INDEX schedule_run_instances_queue ON schedule_run_instances (run_id, state, position);
    CREATE INDEX schedule_run_instances_child ON schedule_run_instances (child_id) WHERE child_id IS NOT NULL;
    CREATE INDEX schedule_run_instances_schedule ON schedule_run_instances (schedule_id, instance_id);

    CREATE TABLE schedule_prunes (
      backup_file_id TEXT PRIMARY KEY,
      schedule_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      delete_id TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      reason TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX schedule_prunes_delete ON schedule_prunes (delete_id);
  `,
};
