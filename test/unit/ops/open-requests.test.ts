import { afterEach, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../../src/db/database.js';
import { createMetrics } from '../../../src/ops/metrics.js';
import { oldestOpenRequestAt } from '../../../src/ops/open-requests.js';

let db: Db | undefined;
afterEach(() => db?.close());

function addRequest(database: Db, id: string, kind: string, step: string, createdAt: number): void {
  database
    .prepare(`INSERT INTO requests (id, kind, idempotency_key, team_id, user_id, channel_id, detail_json, status, step,
      next_run_at, step_started_at, created_at, updated_at) VALUES (?, ?, ?, 'T1', 'U1', 'C1', '{}', 'running', ?, 0, 0, ?, ?)`)
    .run(id, kind, `key-${id}`, step, createdAt, createdAt);
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
  // A finished request and a restore plan never confirmed (draft) are not open.
  addRequest(db, 'req-done', 'backup', 'done', 1_000);
  addRequest(db, 'req-draft', 'restore', 'draft', 2_000);
  addRequest(db, 'req-open', 'delete', 'track', 40_000);
  addRequest(db, 'req-new', 'backup', 'submit', 90_000);
  expect(await age()).toBe('cloudphone_bot_oldest_open_request_age_seconds 60');
  now = 130_000;
  expect(await age()).toBe('cloudphone_bot_oldest_open_request_age_seconds 90');
});
