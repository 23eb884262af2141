import type { Migration } from './index.js';

/**
 * The phones the bot stopped and has not seen running again. A row is written before StopAndroidInstance is sent and
 * deleted only once the phone is seen RUNNING, so neither a failed start nor a crash can leave a phone off unnoticed:
 * the start-up sweep and the backup's own start step work through these rows. `start_*` is the StartAndroidInstance
 * history the retry policy (services/pipeline/mutating-call.ts) decides from.
 *
 * Backups in flight when the bot is upgraded may have stopped phones already: each phone an unfinished backup stopped
 * and has not started again is recorded as held by it, so its start step (or the sweep) starts it like any other.
 */
export const stoppedPhones: Migration = {
  version: 7,
  name: 'phones the bot stopped',
  sql: `
    CREATE TABLE stopped_phones (
      instance_id TEXT PRIMARY KEY,
      request_id TEXT NOT NULL,
      -- held: a request still needs it stopped; starting: the bot is starting it; left: the bot gave up (loudly)
      state TEXT NOT NULL CHECK (state IN ('held', 'starting', 'left')),
      stopped_at INTEGER NOT NULL,
      starting_since INTEGER,
      start_last_outcome TEXT,
      start_last_at INTEGER,
      start_failing_since INTEGER,
      start_failures INTEGER NOT NULL DEFAULT 0,
      start_ineffective INTEGER NOT NULL DEFAULT 0,
      next_look_at INTEGER NOT NULL DEFAULT 0,
      error_code TEXT,
      error_message TEXT,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX stopped_phones_request ON stopped_phones (request_id);

    INSERT OR IGNORE INTO stopped_phones (instance_id, request_id, state, stopped_at, updated_at)
    SELECT i.instance_id, r.id, 'held', r.updated_at, r.updated_at
    FROM request_instances i JOIN requests r ON r.id = i.request_id
    WHERE r.kind = 'backup' AND r.step NOT IN ('draft', 'report', 'done') AND i.stopped_by_bot = 1
      AND i.restart_json IS NULL
    ORDER BY r.created_at DESC;
  `,
};
