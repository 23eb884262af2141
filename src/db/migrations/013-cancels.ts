import type { Migration } from './index.js';

/**
 * Cancel, for every kind on the one pipeline (issue 16): who cancelled a request and when, as columns of the shared
 * request table, so the runner sees it in the header it already reads. Backups kept this in their spec
 * (`detail_json.cancel`) before; it is moved here so there is one place to look.
 */
export const cancels: Migration = {
  version: 13,
  name: 'cancels',
  sql: `
    ALTER TABLE requests ADD COLUMN cancelled_by TEXT;
    ALTER TABLE requests ADD COLUMN cancelled_at INTEGER;
    UPDATE requests
       SET cancelled_by = json_extract(detail_json, '$.cancel.userId'),
           cancelled_at = json_extract(detail_json, '$.cancel.at'),
           detail_json = json_remove(detail_json, '$.cancel')
     WHERE kind = 'backup' AND json_extract(detail_json, '$.cancel.userId') IS NOT NULL;
  `,
};
