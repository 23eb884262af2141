/** For `/metrics`: when the oldest request still open (confirmed, not finished) was asked for. Read at scrape time only. */
import type { Db } from '../db/database.js';

export function oldestOpenRequestAt(db: Db): () => number | undefined {
  // The filter matches the partial "requests_unfinished" index, so finished requests (which pile up) are not read.
  const oldest = db.prepare(`SELECT MIN(created_at) AS at FROM requests WHERE step NOT IN ('draft', 'done')`);
  return () => {
    const row = oldest.get() as { at: number | null } | undefined;
    return row?.at ?? undefined;
  };
}
