import type { Migration } from './index.js';

/**
 * "How many tasks of this request are still open" ran once per touched request per poll cycle and scanned every
 * open task (the only index was on finished_at): quadratic with 10,000 open tasks (found by `npm run bench`).
 */
export const tasksByRequest: Migration = {
  version: 4,
  name: 'index open tasks by request',
  sql: 'CREATE INDEX tasks_request_open ON tasks (request_id, finished_at);',
};
