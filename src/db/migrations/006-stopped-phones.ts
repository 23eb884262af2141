import type { Migration } from './index.js';

/**
 * The phones the bot stopped and has not seen running again. A row is written before StopAndroidInstance is sent and
 * deleted only once the phone is seen RUNNING, so neither a failed start nor a crash can leave a phone off unnoticed:
 * the start-up sweep and the backup's own start step work through these rows. `start_*` is the StartAndroidInstance
 * history the retry policy (services/pipeline/mutating-call.ts) decides from.
 */
export const stoppedPhones: Migration = {
  version: 6,
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
  `,
};
