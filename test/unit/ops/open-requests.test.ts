import { afterEach, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../../src/db/database.js';
import { createMetrics } from '../../../src/ops/metrics.js';
import { oldestOpenRequestAt } from '../../../src/ops/open-requests.js';

let db: Db | undefined;
afterEach(() => db?.close());

function addBackup(database: Db, id: string, step: string, createdAt: number): void {
  database
    .prepare(`INSERT INTO backup_requests (id, idempotency_key, team_id, user_id, channel_id, spec_json, status, step,
      next_run_at, step_started_at, created_at, updated_at) VALUES (?, ?, 'T1', 'U1', 'C1', '{}', 'running', ?, 0, 0, ?, ?)`)
    .run(id, `key-${id}`, step, createdAt, createdAt);
}

it('/metrics shows the age of the oldest request still open, and 0 when none is', async () => {
  db = openDatabase(':memory:');
  let now = 100_000;
  const metrics = createMetrics({
    defaultMetrics: false,
    oldestOpenRequestAt: oldestOpenRequestAt(db),
    now: () => now,
  });
  const age = async () =>
    (await metrics.registry.getSingleMetricAsString('cloudphone_bot_oldest_open_request_age_seconds'))
      .split('\n')
      .at(-1);
  expect(await age()).toBe('cloudphone_bot_oldest_open_request_age_seconds 0');
  addBackup(db, 'req-done', 'done', 1_000);
  addBackup(db, 'req-open', 'track', 40_000);
  addBackup(db, 'req-new', 'submit', 90_000);
  expect(await age()).toBe('cloudphone_bot_oldest_open_request_age_seconds 60');
  now = 130_000;
  expect(await age()).toBe('cloudphone_bot_oldest_open_request_age_seconds 90');
});
