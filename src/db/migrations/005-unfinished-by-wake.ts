import type { Migration } from './index.js';

/**
 * The work loops ask "what is due" and "when is the next wake" after every step they finish. The (step, next_run_at)
 * indexes cannot answer `step <> 'done'` without reading every finished request, which piles up for good (about
 * 4 ms a question at 50,000); these partial indexes hold only the unfinished ones.
 */
export const unfinishedByWake: Migration = {
  version: 5,
  name: 'index unfinished requests by wake time',
  sql: `
    CREATE INDEX backup_requests_unfinished ON backup_requests (next_run_at) WHERE step <> 'done';
    CREATE INDEX restore_requests_unfinished ON restore_requests (next_run_at) WHERE step NOT IN ('draft', 'done');
  `,
};
